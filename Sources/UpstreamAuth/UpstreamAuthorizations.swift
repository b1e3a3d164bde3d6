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
    /// The OAuth backends as they are now (a reload, a backend found to want OAuth, a member's change alter them).
    let directory: any UpstreamBackendDirectory
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
        backends directory: any UpstreamBackendDirectory, urls: UpstreamAuthURLs, http: OutboundHTTP,
        policy: @escaping @Sendable (String) async -> String?, store: any UpstreamTokenStore, sealer: SecretSealer,
        salts: @escaping @Sendable (String) async -> [UInt8]?,
        onChange: @escaping @Sendable (_ backend: String, _ userID: String) async -> Void = { _, _ in },
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.directory = directory
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

    /// The OAuth backends `userID` may connect (every one for nil), by name.
    public func backends(usableBy userID: String?) async -> [UpstreamBackendAuth] {
        await directory.backends(usableBy: userID).sorted { ($0.displayName, $0.name) < ($1.displayName, $1.name) }
    }

    /// The backend under `name` if `userID` may connect it.
    public func backend(_ name: String, usableBy userID: String) async -> UpstreamBackendAuth? {
        await directory.backends(usableBy: userID).first { $0.name == name }
    }

    /// The upstream's authorization URL to send the member's browser to.
    public func begin(backend name: String, userID: String) async throws(UpstreamAuthError) -> String {
        guard let backend = await backend(name, usableBy: userID) else { throw .unknownBackend(name) }
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
        return await directory.backend(started.backend)?.displayName ?? started.backend
    }

    /// Forgets the member's sign-in at `backend`, revoking its tokens at the upstream where it offers revocation.
    public func disconnect(backend name: String, userID: String) async {
        let grant = try? await store.grant(backend: name, userID: userID)
        forget(name, userID)
        try? await store.deleteGrant(backend: name, userID: userID)
        if let grant, let backend = await directory.backend(name) { await revoke(grant, at: backend) }
        if grant != nil { await onChange(name, userID) }
    }

    /// A backend that is gone (its definition removed, or no longer OAuth): every member's sign-in there is revoked
    /// and forgotten, and so is the gateway's registration there. `backend` is the backend as it was.
    public func forgetBackend(_ backend: UpstreamBackendAuth) async {
        let grants = (try? await store.grants(backend: backend.name)) ?? []
        for grant in grants {
            forget(backend.name, grant.userID)
            try? await store.deleteGrant(backend: backend.name, userID: grant.userID)
            await revoke(grant, at: backend)
        }
        try? await store.deleteRegisteredClient(backend: backend.name)
        servers[backend.name] = nil
        lastErrors[backend.name] = nil
        if !grants.isEmpty {
            logger.info(
                "sign-ins at a removed OAuth backend revoked",
                metadata: ["backend": "\(backend.name)", "members": "\(grants.count)"])
        }
    }

    /// Asks the upstream to revoke the grant's tokens (RFC 7009), where it offers revocation; failures are not fatal.
    private func revoke(_ grant: UpstreamGrant, at backend: UpstreamBackendAuth) async {
        let (name, userID) = (backend.name, grant.userID)
        guard let server = try? await server(for: backend),
            let client = try? await clientIdentity(for: backend, server: server),
            let salt = await salts(userID)
        else { return }
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

    /// The backends the member has a sign-in at, of those they may use now.
    public func connected(userID: String) async -> Set<String> {
        let usable = Set(await directory.backends(usableBy: userID).map(\.name))
        return Set(((try? await store.grants(userID: userID)) ?? []).map(\.backend).filter(usable.contains))
    }

    public func isConnected(backend: String, userID: String) async -> Bool {
        (try? await store.grant(backend: backend, userID: userID)) != nil
    }

    /// For `/status`: each OAuth backend `caller` may use (every one for nil), how many members are connected there,
    /// the last problem signing in, and whether the caller is signed in there (else where they do it).
    public func status(for caller: String?) async -> [JSONValue] {
        var rows: [JSONValue] = []
        for backend in await backends(usableBy: caller) {
            let count = (try? await store.grantCount(backend: backend.name)) ?? 0
            var row: [String: JSONValue] = ["name": .string(backend.displayName), "connected_members": .int(Int64(count))]
            if backend.displayName != backend.name { row["id"] = .string(backend.name) }
            if let error = lastErrors[backend.name] { row["last_error"] = .string(error) }
            if let caller {
                let connected = await isConnected(backend: backend.name, userID: caller)
                row["you"] = connected ? "signed in" : "needs sign-in"
                if !connected { row["sign_in_url"] = .string(urls.connect(backend.name)) }
            }
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
        if let open = openTokens[key], !expiresSoon(open.expiresAt) { return open.token }
        if let running = refreshes[key] { return try await running.value }
        let backend = await directory.backend(name)
        let required = AuthorizationRequired(backend: backend?.displayName ?? name, url: urls.connect(name))
        // A grant made for another URL (the backend was pointed elsewhere since) is not sent there.
        guard let grant = try? await store.grant(backend: name, userID: userID), let backend,
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
        let backend = await directory.backend(name)
        let required = AuthorizationRequired(backend: backend?.displayName ?? name, url: urls.connect(name))
        guard let sealed = grant.sealedRefreshToken,
            let refreshToken = try? sealer.open(
                sealed, ownerSalt: salt,
                context: UpstreamSealing.grantContext(backend: name, userID: userID, field: .refreshToken)),
            let backend
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
