import Accounts
import Foundation
import Logging
import MCPBackends
import MCPCore
import MCPGateway
import OutboundHTTP
import Synchronization
import UpstreamAuth

/// The member backends in use: for each caller, the definitions their scope admits, each made into a running backend
/// at first use and shut down after `idle` without use. A backend with member headers runs once per member, with that
/// member's own values, and so does an OAuth backend, with that member's own sign-in; any other runs once, with its
/// owner's secrets. A definition costs nothing but its row while nobody uses it.
actor MemberBackendPool: MemberBackendResolver {
    struct Entry {
        let managed: ManagedBackend
        let definitionUpdatedAt: Date
        var lastUsed: ContinuousClock.Instant
    }

    let service: MemberBackendService
    let store: any MemberBackendStore
    let accounts: MemberAccounts?
    let registry: BackendRegistry
    let http: OutboundHTTP
    /// Where every command backend defined here runs: theirs are never unsandboxed.
    let sandbox: CommandSandbox
    let addressPolicy: MemberAddressPolicy
    let issuer: String
    let idle: Duration
    let logger: Logger
    private var definitions: [MemberBackend] = []
    /// Whether any definition exists, readable without entering the actor: every `/mcp` request asks, and the operator
    /// of a gateway without member backends (most of them) then needs no hop through this one actor.
    private nonisolated let anyDefinitions = Mutex(false)
    private var referencedChannels: Set<String> = []
    private var running: [String: Entry] = [:]
    /// Backends being made: a second caller at the same moment waits for the first one's, never makes its own.
    private var making: [String: Task<ManagedBackend?, Never>] = [:]
    /// Definitions whose secrets would not open (a tampered row): unusable, shown in `/status`, never fatal.
    private(set) var unusable: [String: String] = [:]
    /// Members' sign-ins at the OAuth backends among the definitions; set once, right after the pool is made.
    private var upstream: UpstreamAuthorizations?

    init(
        service: MemberBackendService, store: any MemberBackendStore, accounts: MemberAccounts?, registry: BackendRegistry,
        http: OutboundHTTP, sandbox: CommandSandbox, addressPolicy: MemberAddressPolicy, issuer: String, idle: Duration,
        logger: Logger
    ) {
        self.sandbox = sandbox
        self.service = service
        self.store = store
        self.accounts = accounts
        self.registry = registry
        self.http = http
        self.addressPolicy = addressPolicy
        self.issuer = issuer
        self.idle = idle
        self.logger = logger
    }

    /// Reads the definitions again (at start, and after every change); running backends of changed or removed
    /// definitions are shut down, to be made anew at next use.
    func reload() async {
        let previous = definitions
        do {
            definitions = try await store.allBackends()
            anyDefinitions.withLock { $0 = !definitions.isEmpty }
        } catch {
            logger.error("could not read the member backends", metadata: ["error": "\(error)"])
            return
        }
        referencedChannels = Set(definitions.compactMap(\.referencedChannel))
        let current = Dictionary(uniqueKeysWithValues: definitions.map { ($0.id, $0.updatedAt) })
        for (key, entry) in running where current[entry.managed.settings.name] != entry.definitionUpdatedAt {
            running[key] = nil
            await retire(entry.managed)
        }
        unusable = unusable.filter { current[$0.key] != nil }
        await forgetSignIns(atRemovedOAuthBackendsOf: previous)
    }

    func attach(upstream: UpstreamAuthorizations) {
        self.upstream = upstream
    }

    /// An OAuth backend removed, no longer OAuth, or pointed at another URL: its members' sign-ins there are revoked
    /// and forgotten (in the background: the upstream may be slow to answer).
    private func forgetSignIns(atRemovedOAuthBackendsOf previous: [MemberBackend]) async {
        guard let upstream else { return }
        let now = Dictionary(uniqueKeysWithValues: definitions.map { ($0.id, $0) })
        for old in previous where old.oauth != nil {
            if let current = now[old.id], current.oauth != nil, current.transport == old.transport { continue }
            guard let auth = await upstreamAuth(of: old) else { continue }
            Task { await upstream.forgetBackend(auth) }
        }
    }

    nonisolated func resolve(for subject: String) async -> MemberResolution {
        if subject == User.operatorID, !anyDefinitions.withLock({ $0 }) {
            return MemberResolution(backends: [], reachesGlobalBackends: true, isOperator: true)
        }
        return await resolveInside(for: subject)
    }

    private func resolveInside(for subject: String) async -> MemberResolution {
        let viewer: Viewer
        if subject == User.operatorID {
            viewer = .operator
        } else {
            // A member who is in no allowed guild any more reaches nothing, the global backends included.
            guard let accounts,
                case .member(let standing)? = await accounts.viewer(userID: subject, channels: referencedChannels),
                !standing.guilds.isEmpty
            else { return MemberResolution(backends: [], reachesGlobalBackends: false, isOperator: false) }
            viewer = .member(standing)
        }
        return MemberResolution(
            backends: await backends(for: subject, viewer: viewer), reachesGlobalBackends: true,
            isOperator: subject == User.operatorID)
    }

    /// The definitions `subject` may use now (for the consent page's choices), without connecting any.
    func visibleDefinitions(for subject: String) async -> [MemberBackend] {
        guard !definitions.isEmpty else { return [] }
        let viewer: Viewer
        if subject == User.operatorID {
            viewer = .operator
        } else {
            guard let accounts, let member = await accounts.viewer(userID: subject, channels: referencedChannels) else {
                return []
            }
            viewer = member
        }
        return definitions.filter { ScopePolicy.maySee($0.scope, viewer: viewer) }
    }

    /// The member backends `viewer` may see, made where they are not running yet.
    func backends(for subject: String, viewer: Viewer) async -> [ManagedBackend] {
        guard !definitions.isEmpty else { return [] }
        var reachable: [ManagedBackend] = []
        let now = ContinuousClock.now
        for definition in definitions where ScopePolicy.maySee(definition.scope, viewer: viewer) {
            let user = definition.memberHeaders.isEmpty && definition.oauth == nil ? definition.ownerID : subject
            let key = definition.id + "/" + user
            if var entry = running[key], entry.definitionUpdatedAt == definition.updatedAt {
                entry.lastUsed = now
                running[key] = entry
                reachable.append(entry.managed)
                continue
            }
            let task: Task<ManagedBackend?, Never>
            if let pending = making[key] {
                task = pending
            } else {
                task = Task { await self.make(definition, for: user) }
                making[key] = task
            }
            let made = await task.value
            making[key] = nil
            guard let managed = made else { continue }
            if let entry = running[key], entry.managed === managed || entry.definitionUpdatedAt == definition.updatedAt {
                reachable.append(entry.managed)
                continue
            }
            running[key] = Entry(managed: managed, definitionUpdatedAt: definition.updatedAt, lastUsed: now)
            reachable.append(managed)
        }
        return reachable
    }

    /// After a change through the service: the definitions again, and a member's changed credential takes effect at
    /// their next call (their connection with the old value is shut down).
    func changed(_ change: BackendChange) async {
        if change.action == .credentialSet || change.action == .credentialRemoved,
            let entry = running.removeValue(forKey: change.backendID + "/" + change.actor)
        {
            await retire(entry.managed)
        }
        await reload()
    }

    /// A member's sign-in at one of the OAuth backends was made or lost: their instance is remade at their next call.
    func signInChanged(backendID: String, userID: String) async {
        if let entry = running.removeValue(forKey: backendID + "/" + userID) { await retire(entry.managed) }
    }

    /// Shuts down the backends nobody used for `idle`.
    func closeIdle() async {
        let now = ContinuousClock.now
        let stale = running.filter { now - $0.value.lastUsed >= idle }
        for (key, entry) in stale {
            running[key] = nil
            await retire(entry.managed)
        }
    }

    func shutdown() async {
        let all = running.values.map(\.managed)
        running = [:]
        for managed in all { await retire(managed) }
    }

    private func retire(_ managed: ManagedBackend) async {
        registry.release(managed)
        await managed.shutdown()
    }

    // MARK: OAuth backends

    /// The OAuth backends among the definitions that `userID` may see (every one for nil), as the sign-in flow needs
    /// them: keyed by their id, named by their name, with the client secret opened.
    func oauthBackends(usableBy userID: String?) async -> [UpstreamBackendAuth] {
        guard definitions.contains(where: { $0.oauth != nil }) else { return [] }
        let candidates = if let userID { await visibleDefinitions(for: userID) } else { definitions }
        var backends: [UpstreamBackendAuth] = []
        for definition in candidates where definition.oauth != nil {
            if let auth = await upstreamAuth(of: definition) { backends.append(auth) }
        }
        return backends
    }

    func oauthBackend(id: String) async -> UpstreamBackendAuth? {
        guard let definition = definitions.first(where: { $0.id == id && $0.oauth != nil }) else { return nil }
        return await upstreamAuth(of: definition)
    }

    private func upstreamAuth(of definition: MemberBackend) async -> UpstreamBackendAuth? {
        guard let oauth = definition.oauth, case .streamableHTTP(let url) = definition.transport else { return nil }
        var secret: String?
        if oauth.sealedClientSecret != nil {
            guard let opened = try? await service.openSecrets(of: definition, for: definition.ownerID) else { return nil }
            secret = opened.oauthClientSecret
        }
        return UpstreamBackendAuth(
            name: definition.id, displayName: definition.name, url: url, clientID: oauth.clientID, clientSecret: secret,
            scope: oauth.scope)
    }

    /// How many member backends are defined and running, and which are unusable and why: for `/status`.
    func status() -> (defined: Int, running: Int, unusable: [String: String]) {
        (definitions.count, running.count, unusable)
    }

    private func make(_ definition: MemberBackend, for user: String) async -> ManagedBackend? {
        let secrets: OpenedSecrets
        do {
            secrets = try await service.openSecrets(of: definition, for: user)
            unusable[definition.id] = nil
        } catch {
            if unusable[definition.id] == nil {
                logger.error(
                    "a member backend's secrets do not open; it is unusable until they are set again",
                    metadata: ["backend": "\(definition.id)", "error": "\(error)"])
            }
            unusable[definition.id] = "its sealed secrets do not open (tampered, or sealed under another key)"
            return nil
        }
        let backend: any Backend
        if !secrets.missing.isEmpty {
            backend = UnavailableBackend(
                message: "set your \(secrets.missing.joined(separator: ", ")) for \(definition.name) at \(issuer)/me")
        } else if definition.oauth != nil {
            backend = await makeOAuthBackend(definition, secrets: secrets, for: user)
        } else {
            backend = await makeBackend(definition, secrets: secrets, credential: nil, owner: user)
        }
        var settings = ManagedBackend.Settings(
            name: definition.id, prefix: definition.name, transport: definition.transport.name,
            timeout: .seconds(definition.timeoutSeconds), toolFilter: ToolFilter(allow: [], deny: []))
        // A call to a tool of it that the caller's list does not show (not signed in yet) still goes to it, to be
        // answered with the sign-in link.
        settings.perSubject = definition.oauth != nil
        let managed = ManagedBackend(
            settings: settings,
            backend: backend, uriPrefix: ExposedNames.uriPrefix(for: definition.name) + "-" + definition.id.suffix(6),
            logger: logger)
        await registry.adopt(managed)
        return managed
    }

    /// The caller's own connection to an OAuth backend once they have signed in there, else its place asking them to.
    private func makeOAuthBackend(_ definition: MemberBackend, secrets: OpenedSecrets, for user: String) async
        -> any Backend
    {
        guard let upstream else { return UnavailableBackend(message: "OAuth backends are not available") }
        guard await upstream.isConnected(backend: definition.id, userID: user) else {
            return SignInRequiredBackend(name: definition.name, url: upstream.urls.connect(definition.id))
        }
        return await makeBackend(
            definition, secrets: secrets, credential: upstream.credential(backend: definition.id, userID: user), owner: user)
    }

    /// `owner` is who the instance runs for: the caps of sandboxed processes count per owner.
    private func makeBackend(
        _ definition: MemberBackend, secrets: OpenedSecrets, credential: (any BackendCredential)?, owner: String
    ) async -> any Backend {
        switch definition.transport {
        case .streamableHTTP(let url), .sse(let url):
            // The operator's own backends go where they say; a member's only to the public address checked now.
            var outbound = http
            var pinned: OutboundHTTP?
            if definition.ownerID != User.operatorID {
                switch await addressPolicy.destination(for: url) {
                case .refused(let reason): return UnavailableBackend(message: "refused: \(reason)")
                case .allowedHost: break
                case .pinned(let host, let address):
                    pinned = http.pinned(host: host, address: address)
                    outbound = pinned ?? outbound
                }
            }
            let backend: any Backend =
                if case .sse = definition.transport {
                    LegacySSEBackend(
                        name: definition.name, url: url, headers: secrets.headers, http: outbound,
                        gatewayVersion: GatewayVersion.current, logger: logger)
                } else {
                    StreamableHTTPBackend(
                        name: definition.name, url: url, headers: secrets.headers, http: outbound,
                        gatewayVersion: GatewayVersion.current, logger: logger, credential: credential)
                }
            return pinned.map { PinnedBackend(backend, http: $0) } ?? backend
        case .stdio(let command, let arguments):
            var profile = SandboxProfile(readOnlyPaths: definition.commandAccess.binds)
            profile.network = SandboxProfile.Network(rawValue: definition.commandAccess.network) ?? .none
            // Only the operator's own may share the host's network (the service refuses it to members).
            if profile.network == .host, definition.ownerID != User.operatorID { profile.network = .none }
            return StdioBackend(
                name: definition.name,
                launch: .init(
                    command: command, arguments: arguments,
                    environment: BackendFactory.childEnvironment(secrets.environment, gateway: [:]),
                    workingDirectory: nil),
                sandboxing: .init(sandbox: sandbox, profile: profile, owner: owner), gatewayVersion: GatewayVersion.current,
                logger: logger)
        }
    }
}

/// A member backend that cannot be used by this caller: a shared one whose member header they have not filled in, or
/// one whose address is refused. It never connects and says why, so their calls fail with that message and nobody
/// else is affected.
struct UnavailableBackend: Backend {
    let message: String

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        throw BackendError.unreachable(message)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>
    {
        throw BackendError.unreachable(message)
    }

    func endSession(_ key: String) async {}
    func shutdown() async {}
}
