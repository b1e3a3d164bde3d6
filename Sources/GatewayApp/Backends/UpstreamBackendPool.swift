import Logging
import MCPBackends
import MCPCore
import MCPGateway
import OutboundHTTP
import UpstreamAuth

/// Each caller's own instance of every OAuth backend: connected with the caller's token once they have signed in
/// there, else one that lists nothing and asks them to sign in. An instance is made when a caller's view first needs
/// it, remade when their sign-in is made or lost, and stopped after it has gone unused for a while.
actor UpstreamBackendPool: SubjectBackendProvider {
    struct Key: Hashable {
        var template: ObjectIdentifier
        var subject: String
    }

    struct Instance {
        var backend: ManagedBackend
        var name: String
        var lastUsed: ContinuousClock.Instant
    }

    let authorizations: UpstreamAuthorizations
    let registry: BackendRegistry
    let http: OutboundHTTP
    let logger: Logger
    let idle: Duration
    static let maximumInstances = 2000
    private var instances: [Key: Instance] = [:]

    init(
        authorizations: UpstreamAuthorizations, registry: BackendRegistry, http: OutboundHTTP, idle: Duration,
        logger: Logger
    ) {
        self.authorizations = authorizations
        self.registry = registry
        self.http = http
        self.idle = idle
        self.logger = logger
    }

    nonisolated func instances(replacing globals: [ManagedBackend], for subject: String) async -> [ManagedBackend] {
        guard globals.contains(where: \.settings.perSubject) else { return globals }
        var view = globals
        for (index, template) in globals.enumerated() where template.settings.perSubject {
            view[index] = await instance(of: template, for: subject)
        }
        return view
    }

    private func instance(of template: ManagedBackend, for subject: String) async -> ManagedBackend {
        let key = Key(template: ObjectIdentifier(template), subject: subject)
        if let existing = instances[key] {
            instances[key]?.lastUsed = .now
            return existing.backend
        }
        guard let definition = (template.backend as? SignInRequiredBackend)?.definition,
            case .streamableHTTP(let url) = definition.transport
        else { return template }
        let backend: any Backend
        if await authorizations.isConnected(backend: definition.name, userID: subject) {
            backend = StreamableHTTPBackend(
                name: definition.name, url: url, headers: definition.headers, http: http,
                gatewayVersion: GatewayVersion.current, logger: logger,
                credential: authorizations.credential(backend: definition.name, userID: subject))
        } else {
            backend = SignInRequiredBackend(definition: definition, url: authorizations.urls.connect(definition.name))
        }
        let managed = ManagedBackend(
            settings: template.settings, backend: backend, uriPrefix: template.uriPrefix, logger: logger)
        if instances.count >= Self.maximumInstances, let oldest = instances.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            await stop(oldest.key)
        }
        instances[key] = Instance(backend: managed, name: definition.name, lastUsed: .now)
        await registry.adopt(managed)
        return managed
    }

    /// A caller's sign-in at `backend` was made or lost: their instance is remade on their next request.
    func changed(backend: String, subject: String) async {
        for (key, instance) in instances where instance.name == backend && key.subject == subject {
            await stop(key)
        }
    }

    /// Stops the instances nobody used for the idle time, and those of backends no longer configured.
    func closeIdle() async {
        let current = Set(registry.backends.map(ObjectIdentifier.init))
        let cutoff = ContinuousClock.now - idle
        for (key, instance) in instances where instance.lastUsed < cutoff || !current.contains(key.template) {
            await stop(key)
        }
    }

    private func stop(_ key: Key) async {
        guard let instance = instances.removeValue(forKey: key) else { return }
        registry.release(instance.backend)
        await instance.backend.shutdown()
    }

    func shutdownAll() async {
        for key in instances.keys { await stop(key) }
    }
}
