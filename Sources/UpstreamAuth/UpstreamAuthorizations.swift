import Accounts
import Foundation
import Logging
import MCPCore
import OAuthServer
import OutboundHTTP

/// The gateway as an OAuth client of upstream MCP servers, for each member: it starts a member's sign-in there
/// (authorization code, PKCE S256, `state` bound to the member and the backend, `resource` set to the backend),
/// finishes it at the callback, keeps the tokens sealed per (backend, member), refreshes them before they expire,
/// and forgets (and revokes) them when the member disconnects or the upstream stops accepting them.
public actor UpstreamAuthorizations {
    /// A sign-in started and not yet come back, under the hash of its `state`.
    struct Pending {
        var backend: String
        var userID: String
        var verifier: String
        var server: UpstreamServer
        var client: ClientIdentity
        var started: Date
    }

    public nonisolated let urls: UpstreamAuthURLs
    /// The OAuth backends as configured now (a reload, or a backend found to want OAuth, changes them).
    let configured: @Sendable () -> [UpstreamBackendAuth]
    public var backends: [String: UpstreamBackendAuth] {
        Dictionary(configured().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
    let http: UpstreamHTTP
    let store: any UpstreamTokenStore
    let sealer: SecretSealer
    let salts: @Sendable (String) async -> [UInt8]?
    let onChange: @Sendable (_ backend: String, _ userID: String) async -> Void
    let now: @Sendable () -> Date
    let logger: Logger

    static let pendingLifetime: TimeInterval = 600
    static let maximumPending = 10_000
    static let discoveryLifetime: TimeInterval = 600
    /// A token this close to its expiry is refreshed before it is used.
    static let refreshMargin: TimeInterval = 30

    var pending: [String: Pending] = [:]
    var servers: [String: (server: UpstreamServer, fetched: Date, for: UpstreamBackendAuth)] = [:]
    var lastErrors: [String: String] = [:]
    /// Opened access tokens, so a call does not open the sealed one each time.
    var openTokens: [String: (token: String, expiresAt: Date?)] = [:]
    var refreshes: [String: Task<String, any Error>] = [:]

    /// `salts` gives a user's key salt (nil for an unknown user); `policy` says why a URL may not be fetched or
    /// visited; `onChange` hears of every sign-in made or lost, so the member's connection to that backend is redone.
    public init(
        backends configured: @escaping @Sendable () -> [UpstreamBackendAuth], urls: UpstreamAuthURLs, http: OutboundHTTP,
        policy: @escaping @Sendable (String) async -> String?, store: any UpstreamTokenStore, sealer: SecretSealer,
        salts: @escaping @Sendable (String) async -> [UInt8]?,
        onChange: @escaping @Sendable (_ backend: String, _ userID: String) async -> Void = { _, _ in },
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configured = configured
        self.urls = urls
        self.http = UpstreamHTTP(http: http, policy: policy)
        self.store = store
        self.sealer = sealer
        self.salts = salts
        self.onChange = onChange
        self.logger = logger
        self.now = now
    }

    static func key(_ backend: String, _ userID: String) -> String { backend + "/" + userID }

    // MARK: signing in

    /// The upstream's authorization URL to send the member's browser to.
    public func begin(backend name: String, userID: String) async throws(UpstreamAuthError) -> String {
        guard let backend = backends[name] else { throw .unknownBackend(name) }
        do throws(UpstreamAuthError) {
            let server = try await server(for: backend)
            let client = try await clientIdentity(for: backend, server: server)
            let verifier = TokenCrypto.generateToken()
            let state = TokenCrypto.generateToken()
            prunePending()
            pending[TokenCrypto.hash(state)] = Pending(
                backend: name, userID: userID, verifier: verifier, server: server, client: client, started: now())
            var pairs = [
                ("response_type", "code"), ("client_id", client.id), ("redirect_uri", urls.callback), ("state", state),
                ("code_challenge", PKCE.challenge(for: verifier)), ("code_challenge_method", "S256"),
                ("resource", server.resource),
            ]
            if let scope = backend.scope ?? (server.scopes.isEmpty ? nil : server.scopes.joined(separator: " ")) {
                pairs.append(("scope", scope))
            }
            let endpoint = server.authorizationServer.authorizationEndpoint
            lastErrors[name] = nil
            return endpoint + (endpoint.contains("?") ? "&" : "?") + FormBody.encode(pairs)
        } catch {
            lastErrors[name] = error.description
            logger.warning("upstream sign-in could not start", metadata: ["backend": "\(name)", "reason": "\(error)"])
            throw error
        }
    }

    /// Finishes the sign-in the callback brings back; returns the backend's name. `userID` is who is signed in to the
    /// gateway in the browser that came back: a `state` started for someone else is refused (and used up). `issuer` is
    /// the callback's `iss` (RFC 9207), which must name the authorization server the sign-in was sent to.
    public func complete(state: String, code: String?, error: String?, issuer: String? = nil, userID: String)
        async throws(UpstreamAuthError) -> String
    {
        prunePending()
        guard let started = pending.removeValue(forKey: TokenCrypto.hash(state)), started.userID == userID else {
            throw .unknownState
        }
        if let issuer, issuer != started.server.authorizationServer.issuer {
            throw .badMetadata("the sign-in came back from \(issuer), not from the authorization server it was sent to")
        }
        if let error { throw .refused(error: String(error.prefix(100)), description: nil) }
        guard let code else { throw .refused(error: "invalid_request", description: "the callback carried no code") }
        let endpoint = UpstreamTokenEndpoint(http: http, server: started.server, client: started.client)
        let tokens = try await endpoint.exchange(code: code, verifier: started.verifier, redirectURI: urls.callback)
        try await save(tokens, backend: started.backend, userID: userID, resource: started.server.resource, previous: nil)
        logger.info("member connected an upstream backend", metadata: ["backend": "\(started.backend)", "user": "\(userID)"])
        await onChange(started.backend, userID)
        return started.backend
    }

    /// Forgets the member's sign-in at `backend`, revoking its tokens at the upstream where it offers revocation.
    public func disconnect(backend name: String, userID: String) async {
        let grant = try? await store.grant(backend: name, userID: userID)
        forget(name, userID)
        try? await store.deleteGrant(backend: name, userID: userID)
        if let grant, let backend = backends[name], let server = try? await server(for: backend),
            let client = try? await clientIdentity(for: backend, server: server),
            let salt = await salts(userID)
        {
            let endpoint = UpstreamTokenEndpoint(http: http, server: server, client: client)
            if let sealed = grant.sealedRefreshToken,
                let token = try? sealer.open(
                    sealed, ownerSalt: salt,
                    context: UpstreamSealing.grantContext(backend: name, userID: userID, field: .refreshToken))
            {
                await endpoint.revoke(token, hint: "refresh_token")
            }
            if let token = try? sealer.open(
                grant.sealedAccessToken, ownerSalt: salt,
                context: UpstreamSealing.grantContext(backend: name, userID: userID, field: .accessToken))
            {
                await endpoint.revoke(token, hint: "access_token")
            }
        }
        if grant != nil { await onChange(name, userID) }
    }

    /// A member who left the community: every sign-in of theirs is forgotten and revoked at its upstream.
    public func disconnectAll(userID: String) async {
        for grant in (try? await store.grants(userID: userID)) ?? [] {
            await disconnect(backend: grant.backend, userID: userID)
        }
        logger.info("upstream sign-ins of a departed member revoked", metadata: ["user": "\(userID)"])
    }

    /// Everyone with a sign-in somewhere, for the sweep that finds departed members.
    public func usersWithGrants() async -> [String] {
        (try? await store.usersWithGrants()) ?? []
    }

    /// Every backend the member has disconnected or never connected is left out.
    public func connected(userID: String) async -> Set<String> {
        Set(((try? await store.grants(userID: userID)) ?? []).map(\.backend).filter { backends[$0] != nil })
    }

    public func isConnected(backend: String, userID: String) async -> Bool {
        (try? await store.grant(backend: backend, userID: userID)) != nil
    }

    /// For `/status`: each OAuth backend, how many members are connected, the last problem signing in.
    public func status() async -> [JSONValue] {
        var rows: [JSONValue] = []
        for name in backends.keys.sorted() {
            let count = (try? await store.grantCount(backend: name)) ?? 0
            var row: [String: JSONValue] = ["name": .string(name), "connected_members": .int(Int64(count))]
            if let error = lastErrors[name] { row["last_error"] = .string(error) }
            rows.append(.object(row))
        }
        return rows
    }

    // MARK: tokens for requests

    /// The credential the transport of (backend, member) asks for its token.
    public nonisolated func credential(backend: String, userID: String) -> any BackendCredential {
        UpstreamCredential(authorizations: self, backend: backend, userID: userID)
    }

    func bearer(backend name: String, userID: String) async throws -> String {
        let key = Self.key(name, userID)
        let required = AuthorizationRequired(backend: name, url: urls.connect(name))
        if let open = openTokens[key], !expiresSoon(open.expiresAt) { return open.token }
        if let running = refreshes[key] { return try await running.value }
        // A grant made for another URL (the backend was pointed elsewhere since) is not sent there.
        guard let grant = try? await store.grant(backend: name, userID: userID), let backend = backends[name],
            UpstreamDiscovery.sameResource(grant.resource, backend.url)
        else {
            throw required
        }
        guard let salt = await salts(userID),
            let token = try? sealer.open(
                grant.sealedAccessToken, ownerSalt: salt,
                context: UpstreamSealing.grantContext(backend: name, userID: userID, field: .accessToken))
        else { throw required }
        if !expiresSoon(grant.expiresAt) {
            openTokens[key] = (token, grant.expiresAt)
            return token
        }
        return try await refreshed(name, userID, grant: grant, salt: salt)
    }

    /// The upstream refused `token`: a fresh one is tried once if it can be had; otherwise the sign-in is forgotten.
    func rejected(backend name: String, userID: String, token: String) async -> Bool {
        let key = Self.key(name, userID)
        if let open = openTokens[key], open.token != token { return true }
        openTokens[key] = nil
        guard let grant = try? await store.grant(backend: name, userID: userID), grant.sealedRefreshToken != nil,
            let salt = await salts(userID)
        else {
            await lose(name, userID, reason: "the upstream refused the token")
            return false
        }
        return (try? await refreshed(name, userID, grant: grant, salt: salt)) != nil
    }

    private func refreshed(_ name: String, _ userID: String, grant: UpstreamGrant, salt: [UInt8]) async throws -> String {
        let key = Self.key(name, userID)
        if let running = refreshes[key] { return try await running.value }
        let task = Task { try await self.refresh(name, userID, grant: grant, salt: salt) }
        refreshes[key] = task
        defer { refreshes[key] = nil }
        return try await task.value
    }

    private func refresh(_ name: String, _ userID: String, grant: UpstreamGrant, salt: [UInt8]) async throws -> String {
        let required = AuthorizationRequired(backend: name, url: urls.connect(name))
        guard let sealed = grant.sealedRefreshToken,
            let refreshToken = try? sealer.open(
                sealed, ownerSalt: salt,
                context: UpstreamSealing.grantContext(backend: name, userID: userID, field: .refreshToken)),
            let backend = backends[name]
        else {
            await lose(name, userID, reason: "the token expired and there is no refresh token")
            throw required
        }
        do throws(UpstreamAuthError) {
            let server = try await server(for: backend)
            let client = try await clientIdentity(for: backend, server: server)
            let tokens = try await UpstreamTokenEndpoint(http: http, server: server, client: client).refresh(refreshToken)
            try await save(tokens, backend: name, userID: userID, resource: grant.resource, previous: grant)
            return tokens.accessToken
        } catch .grantRevoked {
            await lose(name, userID, reason: "the upstream refused the refresh token (invalid_grant)")
            throw required
        } catch {
            logger.warning("upstream token refresh failed", metadata: ["backend": "\(name)", "reason": "\(error)"])
            throw BackendError.unreachable("the sign-in at \(name) could not be refreshed: \(error)")
        }
    }

    /// The sign-in no longer works: forget it, so the member is asked again.
    private func lose(_ name: String, _ userID: String, reason: String) async {
        forget(name, userID)
        try? await store.deleteGrant(backend: name, userID: userID)
        logger.info("upstream sign-in dropped", metadata: ["backend": "\(name)", "user": "\(userID)", "reason": "\(reason)"])
        await onChange(name, userID)
    }

    private func forget(_ name: String, _ userID: String) {
        openTokens[Self.key(name, userID)] = nil
    }

    private func save(_ tokens: TokenSet, backend: String, userID: String, resource: String, previous: UpstreamGrant?)
        async throws(UpstreamAuthError)
    {
        guard let salt = await salts(userID) else { throw .unknownState }
        let at = now()
        let expiresAt = tokens.expiresIn.map { at.addingTimeInterval(TimeInterval($0)) }
        // A rotating server hands out a new refresh token; one that does not keeps the old one valid.
        let sealedRefresh =
            tokens.refreshToken.map {
                sealer.seal(
                    $0, ownerSalt: salt,
                    context: UpstreamSealing.grantContext(backend: backend, userID: userID, field: .refreshToken))
            } ?? previous?.sealedRefreshToken
        let grant = UpstreamGrant(
            backend: backend, userID: userID,
            sealedAccessToken: sealer.seal(
                tokens.accessToken, ownerSalt: salt,
                context: UpstreamSealing.grantContext(backend: backend, userID: userID, field: .accessToken)),
            sealedRefreshToken: sealedRefresh, expiresAt: expiresAt, scope: tokens.scope ?? previous?.scope,
            resource: resource, obtainedAt: at)
        do {
            try await store.saveGrant(grant)
        } catch {
            throw .unreachable("the sign-in could not be stored")
        }
        openTokens[Self.key(backend, userID)] = (tokens.accessToken, expiresAt)
    }

    private func expiresSoon(_ expiresAt: Date?) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt.timeIntervalSince(now()) < Self.refreshMargin
    }

    // MARK: discovery

    func server(for backend: UpstreamBackendAuth) async throws(UpstreamAuthError) -> UpstreamServer {
        // A backend whose URL or client changed is discovered again.
        if let cached = servers[backend.name], cached.for == backend,
            now().timeIntervalSince(cached.fetched) < Self.discoveryLifetime
        {
            return cached.server
        }
        let server = try await UpstreamDiscovery(http: http).discover(
            resource: backend.url, metadataURL: backend.resourceMetadata)
        servers[backend.name] = (server, now(), backend)
        return server
    }

    private func prunePending() {
        let cutoff = now().addingTimeInterval(-Self.pendingLifetime)
        pending = pending.filter { $0.value.started > cutoff }
        if pending.count >= Self.maximumPending, let oldest = pending.min(by: { $0.value.started < $1.value.started }) {
            pending[oldest.key] = nil
        }
    }
}

/// The token of one member at one backend, as the transport asks for it.
struct UpstreamCredential: BackendCredential {
    let authorizations: UpstreamAuthorizations
    let backend: String
    let userID: String

    func bearer() async throws -> String {
        try await authorizations.bearer(backend: backend, userID: userID)
    }

    func rejected(_ token: String) async -> Bool {
        await authorizations.rejected(backend: backend, userID: userID, token: token)
    }
}
