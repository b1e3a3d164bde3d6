import Foundation
import Logging
import MCPCore
import NIOCore
import NIOPosix
import OutboundHTTP

/// Client ID Metadata Documents: a `client_id` that is an https URL names a JSON document describing the client.
/// Fetching it is server-side request forgery waiting to happen, so the target is checked before any connection.
public actor ClientMetadataDocumentResolver {
    public struct Limits: Sendable {
        public var maximumBytes = 8 * 1024
        public var timeout: Duration = .seconds(5)
        public var shortestCache: TimeInterval = 60
        public var longestCache: TimeInterval = 24 * 3600
        public var defaultCache: TimeInterval = 3600
        public var maximumCachedDocuments = 1000
        public init() {}
    }

    /// Its own component (makes no connection until the first fetch), so its short timeouts are its own.
    private let http: OutboundHTTP
    private let allowLoopback: Bool
    private let limits: Limits
    private let logger: Logger
    private var cache: [String: (client: OAuthClient, expiresAt: Date)] = [:]

    /// `allowLoopback` is for tests only: http on loopback hosts becomes acceptable; internal networks never are.
    public init(allowLoopback: Bool, limits: Limits = .init(), logger: Logger) {
        self.allowLoopback = allowLoopback
        self.limits = limits
        self.logger = logger
        var settings = OutboundHTTP.Settings()
        settings.connectTimeout = limits.timeout
        self.http = OutboundHTTP(settings: settings)
    }

    /// Whether this client_id is a metadata document URL rather than a registered id.
    public nonisolated static func isMetadataDocumentURL(_ clientID: String) -> Bool {
        clientID.hasPrefix("https://") || clientID.hasPrefix("http://")
    }

    public func resolve(_ clientID: String, now: Date = Date()) async throws(OAuthError) -> OAuthClient {
        if let cached = cache[clientID], cached.expiresAt > now { return cached.client }
        let url = try validatedURL(clientID)
        try await checkTarget(url)

        guard let target = OutboundTarget(clientID) else { throw OAuthError.invalidClient("client_id is not a valid URL") }
        let response: OutboundResponse
        do {
            response = try await http.send(
                OutboundRequest(method: .GET, target: target, headers: ["Accept": "application/json"]),
                limit: limits.maximumBytes,
                timeout: limits.timeout)
        } catch .tooLarge {
            throw OAuthError.invalidClient("the client metadata document is larger than \(limits.maximumBytes) bytes")
        } catch {
            logger.info("client metadata document fetch failed", metadata: ["client_id": "\(clientID)", "error": "\(error)"])
            throw OAuthError.invalidClient("the client metadata document could not be fetched")
        }
        guard response.status == 200 else {
            throw OAuthError.invalidClient("the client metadata document answered HTTP \(response.status)")
        }
        guard let document = try? JSONValue.parse(response.body.readableBytesView) else {
            throw OAuthError.invalidClient("the client metadata document is not JSON")
        }
        let lifetime = cacheLifetime(response.headers.first(name: "Cache-Control"))

        let client = try Self.client(from: document, url: clientID, now: now)
        if lifetime > 0 {
            if cache.count >= limits.maximumCachedDocuments { cache = cache.filter { $0.value.expiresAt > now } }
            if cache.count < limits.maximumCachedDocuments {
                cache[clientID] = (client, now.addingTimeInterval(lifetime))
            }
        }
        return client
    }

    /// Closes the fetcher's connections; call it when the server stops.
    public func shutdown() async {
        await http.shutdown()
    }

    private func validatedURL(_ clientID: String) throws(OAuthError) -> URLComponents {
        guard let url = URLComponents(string: clientID), let host = url.host, !host.isEmpty else {
            throw OAuthError.invalidClient("client_id is not a valid URL")
        }
        guard url.user == nil, url.password == nil, url.fragment == nil, !clientID.contains("@") else {
            throw OAuthError.invalidClient("a client_id URL must not contain user information or a fragment")
        }
        guard !url.path.isEmpty, url.path != "/" else {
            throw OAuthError.invalidClient("a client_id URL must have a path")
        }
        let loopback = RedirectURIPolicy.isLoopbackHost(host)
        switch url.scheme {
        case "https" where !loopback || allowLoopback: break
        case "http" where loopback && allowLoopback: break
        default: throw OAuthError.invalidClient("a client_id URL must be https on a public host")
        }
        return url
    }

    private func checkTarget(_ url: URLComponents) async throws(OAuthError) {
        let host = url.host ?? ""
        let kinds: [NetworkAddressPolicy.Kind]
        do {
            kinds = try await NIOThreadPool.singleton.runIfActive { NetworkAddressPolicy.resolveAndClassify(host: host) }
        } catch {
            throw OAuthError.invalidClient("the client metadata host could not be resolved")
        }
        guard !kinds.isEmpty else { throw OAuthError.invalidClient("the client metadata host could not be resolved") }
        for kind in kinds {
            switch kind {
            case .global: continue
            case .loopback where allowLoopback: continue
            case .loopback, .restricted:
                throw OAuthError.invalidClient("the client metadata host resolves to a private or internal address")
            }
        }
    }

    private func cacheLifetime(_ cacheControl: String?) -> TimeInterval {
        guard let cacheControl = cacheControl?.lowercased() else { return limits.defaultCache }
        let directives = cacheControl.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if directives.contains("no-store") || directives.contains("no-cache") { return 0 }
        if let maxAge = directives.first(where: { $0.hasPrefix("max-age=") }).flatMap({ TimeInterval($0.dropFirst(8)) }) {
            return min(max(maxAge, limits.shortestCache), limits.longestCache)
        }
        return limits.defaultCache
    }

    static func client(from document: JSONValue, url: String, now: Date) throws(OAuthError) -> OAuthClient {
        guard case .object(let fields) = document else {
            throw OAuthError.invalidClient("the client metadata document is not a JSON object")
        }
        guard fields["client_id"]?.stringValue == url else {
            throw OAuthError.invalidClient("the document's client_id does not equal its URL")
        }
        guard let name = fields["client_name"]?.stringValue, !name.isEmpty else {
            throw OAuthError.invalidClient("the client metadata document has no client_name")
        }
        let validated: ClientMetadataValidator.Validated
        do {
            validated = try ClientMetadataValidator.validate(fields)
        } catch {
            throw OAuthError.invalidClient("the client metadata document is invalid: \(error.description)")
        }
        guard validated.authMethod == .none, fields["client_secret"] == nil else {
            throw OAuthError.invalidClient("a client metadata document may only describe a public client (auth method none)")
        }
        return OAuthClient(
            id: url, kind: .metadataDocument, name: name, redirectURIs: validated.redirectURIs, authMethod: .none,
            secretHash: nil, metadataJSON: document.serializedString, createdAt: now
        )
    }
}
