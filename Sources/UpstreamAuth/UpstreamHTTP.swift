import Foundation
import MCPCore
import NIOCore
import NIOHTTP1
import OAuthServer
import OutboundHTTP

/// The gateway's requests to an upstream's OAuth endpoints: every URL passes the address policy first, answers are
/// read up to a small limit within a timeout, and redirects are never followed (a metadata document or token
/// endpoint that redirects is refused rather than chased, so no loop and no hop to an address not checked).
struct UpstreamHTTP: Sendable {
    /// Why a URL may not be fetched (or a browser sent there), or nil when it may.
    typealias URLPolicy = @Sendable (String) async -> String?

    let http: OutboundHTTP
    let policy: URLPolicy
    static let documentLimit = 64 * 1024
    static let timeout: Duration = .seconds(10)

    struct Answer {
        var status: Int
        var body: ByteBuffer
        var json: JSONValue? { try? JSONValue.parse(Array(body.readableBytesView)) }
    }

    /// Refuses `url` unless the policy admits it; `what` names it in the message.
    func check(_ url: String, what: String) async throws(UpstreamAuthError) -> OutboundTarget {
        guard let target = OutboundTarget(url), ["https", "http"].contains(target.scheme), !target.host.isEmpty else {
            throw .badMetadata("\(what) \(url) is not an http(s) URL")
        }
        if let refusal = await policy(url) { throw .badMetadata("\(what) \(url) is refused: \(refusal)") }
        return target
    }

    func get(_ url: String, what: String) async throws(UpstreamAuthError) -> Answer {
        let target = try await check(url, what: what)
        return try await send(OutboundRequest(method: .GET, target: target, headers: ["Accept": "application/json"]), what)
    }

    /// A form POST (token, revocation), with HTTP Basic client authentication when `basic` is given.
    func postForm(_ url: String, _ pairs: [(String, String)], basic: (id: String, secret: String)?, what: String)
        async throws(UpstreamAuthError) -> Answer
    {
        let target = try await check(url, what: what)
        var headers: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"]
        if let basic {
            // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined.
            let joined = FormBody.encodeComponent(basic.id) + ":" + FormBody.encodeComponent(basic.secret)
            headers.add(name: "Authorization", value: "Basic " + Data(joined.utf8).base64EncodedString())
        }
        let body = ByteBuffer(string: FormBody.encode(pairs))
        return try await send(OutboundRequest(method: .POST, target: target, headers: headers, body: body), what)
    }

    func postJSON(_ url: String, _ document: JSONValue, what: String) async throws(UpstreamAuthError) -> Answer {
        let target = try await check(url, what: what)
        let headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
        let body = ByteBuffer(bytes: document.serializedBytes())
        return try await send(OutboundRequest(method: .POST, target: target, headers: headers, body: body), what)
    }

    private func send(_ request: OutboundRequest, _ what: String) async throws(UpstreamAuthError) -> Answer {
        let response: OutboundResponse
        do throws(OutboundHTTPError) {
            response = try await http.send(request, limit: Self.documentLimit, timeout: Self.timeout)
        } catch .tooLarge {
            throw .badMetadata("the answer of \(what) is larger than \(Self.documentLimit / 1024) KiB")
        } catch {
            throw .unreachable("\(what): \(error)")
        }
        if (300..<400).contains(response.status) {
            throw .badMetadata("\(what) answered with a redirect (HTTP \(response.status)), which is not followed")
        }
        return Answer(status: response.status, body: response.body)
    }
}
