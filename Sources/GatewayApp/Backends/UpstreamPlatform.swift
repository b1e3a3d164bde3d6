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
        settings: GatewaySettings, database: GatewayDatabase, registry: BackendRegistry, members: MemberBackendPool,
        sealer: SecretSealer, http: OutboundHTTP, logger: Logger
    ) async -> UpstreamPlatform {
        let addresses = MemberAddressPolicy(allowedHosts: settings.memberPrivateHosts)
        let poolReference = Mutex<UpstreamBackendPool?>(nil)
        let authorizations = UpstreamAuthorizations(
            backends: GatewayUpstreamDirectory(registry: registry, members: members),
            urls: UpstreamAuthURLs(issuer: settings.normalizedIssuer),
            http: http, policy: { url in await Self.refusal(of: url, addresses: addresses) }, store: database,
            sealer: sealer, salts: { userID in try? await database.user(id: userID)?.keySalt },
            onChange: { backend, userID in
                await poolReference.withLock { $0 }?.changed(backend: backend, subject: userID)
                await members.signInChanged(backendID: backend, userID: userID)
            },
            logger: logger)
        let pool = UpstreamBackendPool(
            authorizations: authorizations, registry: registry, http: http,
            idle: .seconds(settings.memberBackendIdleSeconds), logger: logger)
        poolReference.withLock { $0 = pool }
        registry.resolvePerSubjectBackends(with: pool)
        await members.attach(upstream: authorizations)
        return UpstreamPlatform(authorizations: authorizations, pool: pool)
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
            name: name, url: url, clientID: oauth.clientID, clientSecret: oauth.clientSecret, scope: oauth.scope)
        auth.resourceMetadata = oauth.resourceMetadata
        return auth
    }
}

/// The OAuth backends: the configured ones the registry runs now (each holds its place with a
/// `SignInRequiredBackend`; members do not see those kept for the operator), and those members defined.
struct GatewayUpstreamDirectory: UpstreamBackendDirectory {
    let registry: BackendRegistry
    let members: MemberBackendPool

    func backend(_ name: String) async -> UpstreamBackendAuth? {
        if let configured = configured(usableBy: nil).first(where: { $0.name == name }) { return configured }
        return await members.oauthBackend(id: name)
    }

    func backends(usableBy userID: String?) async -> [UpstreamBackendAuth] {
        configured(usableBy: userID) + (await members.oauthBackends(usableBy: userID))
    }

    private func configured(usableBy userID: String?) -> [UpstreamBackendAuth] {
        registry.backends.compactMap { managed -> UpstreamBackendAuth? in
            guard let definition = (managed.backend as? SignInRequiredBackend)?.definition else { return nil }
            if definition.operatorOnly, let userID, userID != User.operatorID { return nil }
            return definition.upstreamAuth
        }
    }
}
