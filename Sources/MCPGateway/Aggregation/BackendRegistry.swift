import Foundation
import MCPCore
import Synchronization

/// Every backend, and the merged view clients see: lists gathered within the listing timeout, exposed names,
/// and the routes from exposed names back to backends.
public actor BackendRegistry {
    /// Where an exposed name leads.
    public struct Route: Sendable {
        public let backend: ManagedBackend
        public let originalName: String
    }

    /// The backends serving now, in name order. Read without entering the actor (capabilities, instructions);
    /// replaced only by `update`, when the configuration changes.
    public nonisolated var backends: [ManagedBackend] { current.withLock { $0 } }
    private let current: Mutex<[ManagedBackend]>
    /// Backends taken out of service that still finish their calls in flight before they are shut down.
    private var retiring: [ObjectIdentifier: ManagedBackend] = [:]
    let listTimeout: Duration
    /// The routes of each view that was listed, by the backends it holds: the global backends', and each caller's.
    private var tables: [[ObjectIdentifier]: RouteTable] = [:]
    private let maximumTables = 1024
    private var listeners: [UUID: AsyncStream<String>.Continuation] = [:]
    /// Resolves the member backends a caller may reach; nil when there are none (single-operator installs).
    private nonisolated let memberResolver = Mutex<(any MemberBackendResolver)?>(nil)

    /// Exposed names back to backends, and tool definitions by exposed name (for `x-mcp-header` arguments).
    struct RouteTable {
        var tools: [String: Route] = [:]
        var prompts: [String: Route] = [:]
        var toolDefinitions: [String: JSONValue] = [:]

        func routes(_ kind: CatalogKind) -> [String: Route] { kind == .tools ? tools : prompts }
    }

    /// `backends` must have unique names; they are kept in name order, which fixes the merge order.
    public init(backends: [ManagedBackend], listTimeout: Duration) {
        self.current = Mutex(backends.sorted { $0.settings.name < $1.settings.name })
        self.listTimeout = listTimeout
    }

    /// From now on, callers also reach the member backends `resolver` gives them.
    public nonisolated func resolveMemberBackends(with resolver: any MemberBackendResolver) {
        memberResolver.withLock { $0 = resolver }
    }

    /// What `subject` may reach now: every global backend, then their member backends.
    public func view(for subject: String?) async -> BackendView {
        let globals = backends
        guard let subject, let resolver = memberResolver.withLock({ $0 }) else { return BackendView(globals: globals) }
        let resolution = await resolver.resolve(for: subject)
        let reached =
            !resolution.reachesGlobalBackends
            ? [] : resolution.isOperator ? globals : globals.filter { !$0.settings.operatorOnly }
        return BackendView(globals: reached, members: resolution.backends)
    }

    /// Starts watching a member backend's lists (the pool calls it once for each backend it makes).
    public func adopt(_ backend: ManagedBackend) async {
        await watch(backend)
    }

    /// Drops the routes of every view that held `backend`, which the pool has shut down.
    public func release(_ backend: ManagedBackend) {
        let id = ObjectIdentifier(backend)
        tables = tables.filter { !$0.key.contains(id) }
    }

    /// Scheme prefixes for resource URIs, unique even when two backends share a prefix.
    public static func uriPrefixes(for prefixes: [(name: String, prefix: String)]) -> [String: String] {
        var taken: Set<String> = []
        var result: [String: String] = [:]
        for (name, prefix) in prefixes.sorted(by: { $0.name < $1.name }) {
            let base = ExposedNames.uriPrefix(for: prefix)
            var candidate = base
            var counter = 1
            while taken.contains(candidate) {
                counter += 1
                candidate = "\(base)-\(counter)"
            }
            taken.insert(candidate)
            result[name] = candidate
        }
        return result
    }

    /// Starts watching every backend's lists; call once after creation.
    public func start() async {
        for backend in backends { await watch(backend) }
    }

    private func watch(_ backend: ManagedBackend) async {
        await backend.onCatalogChange { [weak self] _, kind in
            guard let self else { return }
            Task { await self.announce(kind) }
        }
    }

    // MARK: changing the set

    /// Changes the set while the gateway runs, one backend at a time, leaving every other backend and its calls
    /// alone. `removed` (by name) are no longer listed or routed from now on, and each is shut down once its calls in
    /// flight have finished, or after `drain` at most; `added` serve from now on and connect at once. A backend whose
    /// definition changed is in both. Clients that listen are told that the lists changed.
    public func update(adding added: [ManagedBackend], removing removed: Set<String>, drain: Duration) async {
        let (retired, collision) = current.withLock { backends -> ([ManagedBackend], String?) in
            let kept = backends.filter { !removed.contains($0.settings.name) }
            let names = Set(kept.map(\.settings.name))
            if let taken = added.first(where: { names.contains($0.settings.name) }) { return ([], taken.settings.name) }
            let retired = backends.filter { removed.contains($0.settings.name) }
            backends = (kept + added).sorted { $0.settings.name < $1.settings.name }
            return (retired, nil)
        }
        precondition(collision == nil, "backend \(collision ?? "") added twice")
        if !retired.isEmpty || !added.isEmpty { tables = [:] }
        for backend in added {
            await watch(backend)
            // Connecting announces its lists again when it comes up; the listing meanwhile waits for it as usual.
            Task { await backend.check() }
        }
        for backend in retired {
            retiring[ObjectIdentifier(backend)] = backend
            Task {
                await backend.drained(within: drain)
                await self.retired(backend)
            }
        }
        if !added.isEmpty || !retired.isEmpty {
            for kind in [CatalogKind.tools, .prompts, .resources] { announce(kind) }
        }
    }

    private func retired(_ backend: ManagedBackend) async {
        guard retiring.removeValue(forKey: ObjectIdentifier(backend)) != nil else { return }
        await backend.shutdown()
    }

    // MARK: merged lists

    /// What each backend offers of `kind`, fresh where the backend answered within the listing timeout and the last
    /// good list where it did not; in backend-name order. The timeout counts from when the backend's fetch started:
    /// a fetch that an earlier listing already waited out is not waited for again, so a hanging backend delays one
    /// listing (and those at the same moment), not every listing until its connection attempt gives up.
    func gather(_ kind: CatalogKind, from backends: [ManagedBackend]) async -> [(ManagedBackend, [JSONValue])] {
        let timeout = listTimeout
        let lists = await withTaskGroup(of: (Int, [JSONValue]?).self) { group in
            for (index, backend) in backends.enumerated() {
                group.addTask {
                    // A slow fetch goes on after the listing answers, and its list is the next listing's last good one.
                    let (fetch, started) = await backend.refreshTask(kind)
                    let remaining = timeout - (ContinuousClock.now - started)
                    if remaining > .zero, let fresh = await value(of: fetch, within: remaining) { return (index, fresh) }
                    return (index, await backend.lastGood(kind))
                }
            }
            var lists = [[JSONValue]?](repeating: nil, count: backends.count)
            for await (index, items) in group { lists[index] = items }
            return lists
        }
        return zip(backends, lists).compactMap { backend, items in items.map { (backend, $0) } }
    }

    /// The merged list of `kind` in `view`, exposed names applied, sorted by exposed name (or URI); only the items of
    /// the backends `reachable` admits (by name), though names are assigned over the whole view, the global backends
    /// first, so a global tool's name never depends on who asks and a member's backend never takes it.
    public func merged(
        _ kind: CatalogKind, view: BackendView? = nil, reachable: @Sendable (String) -> Bool = { _ in true }
    ) async -> [JSONValue] {
        let view = view ?? BackendView(globals: backends)
        let gathered = await gather(kind, from: view.all)
        switch kind {
        case .tools, .prompts:
            var origins: [ExposedNames.Origin] = []
            for (backend, items) in gathered {
                for item in items {
                    guard let name = item["name"]?.stringValue else { continue }
                    origins.append(.init(backend: backend.settings.name, prefix: backend.settings.prefix, name: name))
                }
            }
            let names = ExposedNames.assign(origins)
            var routes: [String: Route] = [:]
            var definitions: [String: JSONValue] = [:]
            var exposed: [JSONValue] = []
            for (backend, items) in gathered {
                for item in items {
                    guard case .object(var fields) = item, let name = fields["name"]?.stringValue,
                        let exposedName = names[
                            .init(backend: backend.settings.name, prefix: backend.settings.prefix, name: name)]
                    else { continue }
                    guard routes[exposedName] == nil else { continue }
                    fields["name"] = .string(exposedName)
                    routes[exposedName] = Route(backend: backend, originalName: name)
                    definitions[exposedName] = item
                    if reachable(backend.settings.name) { exposed.append(.object(fields)) }
                }
            }
            if tables[view.key] == nil, tables.count >= maximumTables {
                let everyGlobal = backends.map(ObjectIdentifier.init)
                tables = tables.filter { $0.key == everyGlobal }
            }
            var table = tables[view.key] ?? RouteTable()
            if kind == .tools {
                table.tools = routes
                table.toolDefinitions = definitions
            } else {
                table.prompts = routes
            }
            tables[view.key] = table
            return exposed.sorted { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") }
        case .resources, .resourceTemplates:
            let key = kind == .resources ? "uri" : "uriTemplate"
            var exposed: [JSONValue] = []
            for (backend, items) in gathered where reachable(backend.settings.name) {
                for item in items {
                    guard case .object(var fields) = item, let uri = fields[key]?.stringValue else { continue }
                    fields[key] = .string(ExposedNames.resourceURI(uri, uriPrefix: backend.uriPrefix))
                    exposed.append(.object(fields))
                }
            }
            return exposed.sorted { ($0[key]?.stringValue ?? "") < ($1[key]?.stringValue ?? "") }
        }
    }

    /// The smallest `ttlMs` any backend of the view gave for `kind`, if any did.
    func smallestTTL(_ kind: CatalogKind, view: BackendView? = nil) async -> Int64? {
        var smallest: Int64?
        for backend in view?.all ?? backends {
            if let ttl = await backend.catalog.ttlMilliseconds[kind] { smallest = min(smallest ?? ttl, ttl) }
        }
        return smallest
    }

    // MARK: routes

    /// The backend and original name behind an exposed tool or prompt name in `view`, refreshing the lists once if
    /// unknown.
    public func route(_ kind: CatalogKind, exposedName: String, view: BackendView? = nil) async -> Route? {
        let view = view ?? BackendView(globals: backends)
        if let route = tables[view.key]?.routes(kind)[exposedName] { return route }
        _ = await merged(kind, view: view)
        return tables[view.key]?.routes(kind)[exposedName]
    }

    func toolDefinition(_ exposedName: String, view: BackendView? = nil) -> JSONValue? {
        tables[(view ?? BackendView(globals: backends)).key]?.toolDefinitions[exposedName]
    }

    /// Why a name with a backend's prefix has no route: that backend lists nothing because it is down or starting.
    /// Nil when no such backend exists or it answers (then the name is simply unknown).
    func unavailability(
        ofExposedName name: String, view: BackendView? = nil, reachable: @Sendable (String) -> Bool = { _ in true }
    ) async -> String? {
        for backend in view?.all ?? backends where reachable(backend.settings.name) {
            let prefix = ExposedNames.sanitize(backend.settings.prefix) + ExposedNames.separator
            let state = await backend.state
            guard name.hasPrefix(prefix), state == .down || state == .starting else { continue }
            let reason = await backend.lastError.map { ": \($0)" } ?? ""
            return "backend '\(backend.settings.name)' is \(state.rawValue)\(reason)"
        }
        return nil
    }

    /// The backend and original URI behind an exposed resource URI: by its scheme prefix, else (a URI a tool
    /// handed out as it was) by the one backend whose last list holds it.
    public func routeResource(_ uri: String, view: BackendView? = nil) async -> Route? {
        let backends = view?.all ?? self.backends
        if let plus = uri.firstIndex(of: "+") {
            let prefix = String(uri[..<plus])
            if let backend = backends.first(where: { $0.uriPrefix == prefix }) {
                return Route(backend: backend, originalName: String(uri[uri.index(after: plus)...]))
            }
        }
        var owners: [ManagedBackend] = []
        for backend in backends
        where await backend.lastGood(.resources)?.contains(where: { $0["uri"]?.stringValue == uri }) == true {
            owners.append(backend)
        }
        return owners.count == 1 ? Route(backend: owners[0], originalName: uri) : nil
    }

    // MARK: list changes

    /// A stream of `notifications/<list>/list_changed` methods, for clients that listen.
    public func listen() -> (UUID, AsyncStream<String>) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = UUID()
        listeners[id] = continuation
        return (id, stream)
    }

    public func stopListening(_ id: UUID) {
        listeners.removeValue(forKey: id)?.finish()
    }

    private func announce(_ kind: CatalogKind) {
        let method: String
        switch kind {
        case .tools: method = "notifications/tools/list_changed"
        case .prompts: method = "notifications/prompts/list_changed"
        case .resources: method = "notifications/resources/list_changed"
        case .resourceTemplates: return
        }
        for continuation in listeners.values { continuation.yield(method) }
    }

    // MARK: lifecycle

    public func status() async -> [JSONValue] {
        var entries: [JSONValue] = []
        for backend in backends { entries.append(await backend.status()) }
        return entries
    }

    public func checkAll() async {
        await withTaskGroup(of: Void.self) { group in
            for backend in backends { group.addTask { await backend.check() } }
        }
    }

    public func endSession(_ key: String) async {
        for backend in backends { await backend.endSession(key) }
    }

    public func shutdown() async {
        for continuation in listeners.values { continuation.finish() }
        listeners = [:]
        let draining = Array(retiring.values)
        retiring = [:]
        await withTaskGroup(of: Void.self) { group in
            for backend in backends + draining { group.addTask { await backend.shutdown() } }
        }
    }
}
