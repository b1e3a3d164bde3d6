import Foundation
import MCPCore
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// Discord's REST API v10 through a bot token: our own thin client on the outbound HTTP component, which waits out
/// Discord's rate limits when they are short and fails clearly when they are not.
public actor DiscordRESTClient {
    public struct Configuration: Sendable {
        public var baseURL: String
        public var botToken: String
        public var userAgent: String
        public var timeout: Duration
        public var maximumRetries: Int

        public init(
            baseURL: String = "https://discord.com/api/v10", botToken: String, version: String,
            timeout: Duration = .seconds(10), maximumRetries: Int = 3
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.botToken = botToken
            self.userAgent = "DiscordBot (https://github.com/mcp-gateway/mcp-gateway, \(version))"
            self.timeout = timeout
            self.maximumRetries = maximumRetries
        }
    }

    /// A failed call, in words a person (or model) can act on; never containing the token.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let status: Int?
        public let code: Int64?
        public let description: String
    }

    public struct Response: Sendable {
        public let status: Int
        public let body: JSONValue?
    }

    let configuration: Configuration
    let http: OutboundHTTP
    private var limiter: DiscordRateLimiter
    /// Routes with a request on the wire. Requests of one route and resource go one at a time, as Discord's own
    /// libraries send them: each learns the bucket's state from the answer before it, so a burst never overshoots.
    private var busyQueues: Set<String> = []
    private var queueWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Discord's answers are JSON documents well under this; anything larger is not one of them.
    static let maximumBodyBytes = 8 * 1024 * 1024

    public init(configuration: Configuration, http: OutboundHTTP, limiter: DiscordRateLimiter = DiscordRateLimiter()) {
        self.configuration = configuration
        self.http = http
        self.limiter = limiter
    }

    /// Who a request is sent as: the bot (every tool call), a member's OAuth2 token (their one `/users/@me` at sign-in),
    /// or no one (the OAuth2 token endpoint, where the application's credentials are in the form).
    public enum Credential: Sendable {
        case bot
        case bearer(String)
        case none
    }

    /// A request body: JSON for the API, a form for the OAuth2 token endpoint.
    public enum Body: Sendable {
        case json(JSONValue)
        case form([(String, String)])
    }

    /// Sends one request; `action` says what it does ("delete the channel") for messages; `reason` goes to
    /// Discord's audit log.
    public func send(
        _ route: DiscordRoute, query: [(String, String)] = [], body: JSONValue? = nil, reason: String? = nil, action: String
    ) async throws(Failure) -> Response {
        try await send(route, query: query, body: body.map(Body.json), credential: .bot, reason: reason, action: action)
    }

    public func send(
        _ route: DiscordRoute, query: [(String, String)] = [], body: Body?, credential: Credential, reason: String? = nil,
        action: String
    ) async throws(Failure) -> Response {
        let queue = route.template + " " + route.majorParameter
        await enterQueue(queue)
        defer { leaveQueue(queue) }
        for attempt in 0...configuration.maximumRetries {
            let wait: Duration
            do throws(DiscordRateLimiter.Refusal) {
                wait = try limiter.reserve(route, now: .now)
            } catch {
                throw Self.failure(for: error, action: action)
            }
            if wait > .zero { try? await Task.sleep(for: wait) }
            let (status, headers, value) = try await perform(
                route, query: query, body: body, credential: credential, reason: reason, action: action)
            let retryAfter = value?["retry_after"].flatMap(Self.number)
            limiter.record(
                route, status: status, headers: headers, retryAfter: retryAfter, global: value?["global"]?.boolValue == true,
                now: .now)
            if status == 429 && attempt < configuration.maximumRetries {
                continue  // the limiter now knows how long to wait, or refuses when that is too long
            }
            guard (200..<300).contains(status) else {
                throw Failure(
                    status: status, code: value?["code"].flatMap { if case .int(let code) = $0 { code } else { nil } },
                    description: DiscordErrorMessage.describe(status: status, body: value, action: action))
            }
            return Response(status: status, body: value)
        }
        throw Failure(status: 429, code: nil, description: "Discord kept rate limiting \(action); try again later")
    }

    private func enterQueue(_ queue: String) async {
        if busyQueues.insert(queue).inserted { return }
        await withCheckedContinuation { queueWaiters[queue, default: []].append($0) }
    }

    /// Hands the queue to the next waiting request, or frees it.
    private func leaveQueue(_ queue: String) {
        guard var waiters = queueWaiters[queue], !waiters.isEmpty else {
            busyQueues.remove(queue)
            return
        }
        let next = waiters.removeFirst()
        queueWaiters[queue] = waiters.isEmpty ? nil : waiters
        next.resume()
    }

    private func perform(
        _ route: DiscordRoute, query: [(String, String)], body: Body?, credential: Credential, reason: String?,
        action: String
    ) async throws(Failure) -> (Int, [String: String], JSONValue?) {
        var url = configuration.baseURL + route.path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            url += "?" + (components.percentEncodedQuery ?? "")
        }
        guard let target = OutboundTarget(url) else {
            throw Failure(status: nil, code: nil, description: "could not \(action): the request's address is invalid")
        }
        var request = OutboundRequest(method: HTTPMethod(rawValue: route.method), target: target)
        switch credential {
        case .bot: request.headers.add(name: "Authorization", value: "Bot \(configuration.botToken)")
        case .bearer(let token): request.headers.add(name: "Authorization", value: "Bearer \(token)")
        case .none: break
        }
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let reason, !reason.isEmpty {
            request.headers.add(name: "X-Audit-Log-Reason", value: DiscordLimits.auditLogReasonHeader(reason))
        }
        switch body {
        case .json(let value)?:
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = ByteBuffer(bytes: value.serializedBytes())
        case .form(let fields)?:
            var components = URLComponents()
            components.queryItems = fields.map { URLQueryItem(name: $0.0, value: $0.1) }
            // URLComponents leaves `+` alone in a query; in a form it would read as a space.
            let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = ByteBuffer(string: encoded)
        case nil:
            break
        }
        let timeout = configuration.timeout
        let response: OutboundResponse
        do {
            response = try await http.send(request, limit: Self.maximumBodyBytes, timeout: timeout)
        } catch .timedOut {
            throw Failure(
                status: nil, code: nil, description: "Discord did not answer within \(timeout.secondsDescription) to \(action)")
        } catch {
            // The error's text can carry the URL, never the token: the token only travels in a header.
            throw Failure(
                status: nil, code: nil,
                description: "could not reach Discord to \(action): \(Self.transport(error, hiding: route.secretSegment))")
        }
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        let value = response.body.readableBytes == 0 ? nil : try? JSONValue.parse(response.body.readableBytesView)
        return (response.status, headers, value)
    }

    static func failure(for refusal: DiscordRateLimiter.Refusal, action: String) -> Failure {
        switch refusal {
        case .rateLimited(let retryAfter, let global):
            // Whole seconds, rounded up: waiting the number given is always enough.
            let seconds = retryAfter.components.seconds + (retryAfter.components.attoseconds > 0 ? 1 : 0)
            return Failure(
                status: 429, code: nil,
                description:
                    "Discord's \(global ? "global " : "")rate limit needs \(seconds) s to reset; try to \(action) again later")
        case .invalidRequestGuard(let count):
            return Failure(
                status: nil, code: nil,
                description:
                    "stopped sending to Discord: \(count) refused requests in 10 minutes (Discord bans an address at 10,000); check the bot's token and permissions"
            )
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    /// The error's text, without the webhook token a URL in it could carry.
    static func transport(_ error: any Error, hiding secret: String?) -> String {
        var text = "\(error)"
        if let secret, !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "[token]") }
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}
