import Accounts
import Logging
import MCPGateway
import OutboundHTTP
import Storage
import Synchronization
import UpstreamAuth

/// What lets callers reach OAuth-protected upstream backends as themselves: their sign-ins there, and the pool of
/// their own instances of those backends.
struct UpstreamPlatform {
    let authorizations: UpstreamAuthorizations
    let pool: UpstreamBackendPool

    static func make(
        settings: GatewaySettings, database: GatewayDatabase, registry: BackendRegistry,
        sealer: SecretSealer, http: OutboundHTTP, logger: Logger
    ) async -> UpstreamPlatform {
        let addresses = MemberAddressPolicy(allowedHosts: settings.memberPrivateHosts)
        let poolReference = Mutex<UpstreamBackendPool?>(nil)
        let authorizations = UpstreamAuthorizations(
            backends: { Self.configured(in: registry) }, urls: UpstreamAuthURLs(issuer: settings.normalizedIssuer),
            http: http, policy: { url in await Self.refusal(of: url, addresses: addresses) }, store: database,
            sealer: sealer, salts: { userID in try? await database.user(id: userID)?.keySalt },
            onChange: { backend, userID in await poolReference.withLock { $0 }?.changed(backend: backend, subject: userID) },
            logger: logger)
        let pool = UpstreamBackendPool(
            authorizations: authorizations, registry: registry, http: http,
            idle: .seconds(settings.memberBackendIdleSeconds), logger: logger)
        poolReference.withLock { $0 = pool }
        registry.resolvePerSubjectBackends(with: pool)
        return UpstreamPlatform(authorizations: authorizations, pool: pool)
    }

    /// The OAuth backends the registry runs now: each holds its place with a `SignInRequiredBackend`.
    static func configured(in registry: BackendRegistry) -> [UpstreamBackendAuth] {
        registry.backends.compactMap { ($0.backend as? SignInRequiredBackend)?.definition.upstreamAuth }
    }

    /// An upstream's endpoints are someone else's words: they must be https (http only to a host the operator allows
    /// as private, for tests and home labs) and lead to public addresses, like a member's backend.
    static func refusal(of url: String, addresses: MemberAddressPolicy) async -> String? {
        if url.lowercased().hasPrefix("http://") {
            let host = OutboundTarget(url)?.host.lowercased() ?? ""
            guard addresses.allowedHosts.contains(host) else { return "it is not https" }
        }
        return await addresses.refusal(for: url)
    }
}

extension BackendDefinition {
    /// What the upstream sign-in needs of an OAuth backend; nil for the others.
    var upstreamAuth: UpstreamBackendAuth? {
        guard enabled, let oauth, case .streamableHTTP(let url) = transport else { return nil }
        var auth = UpstreamBackendAuth(
            name: name, url: url, clientID: oauth.clientID, clientSecret: oauth.clientSecret, scope: oauth.scope,
            operatorOnly: operatorOnly)
        auth.resourceMetadata = oauth.resourceMetadata
        return auth
    }
}
