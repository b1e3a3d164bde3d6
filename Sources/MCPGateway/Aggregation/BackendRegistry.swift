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
    nonisolated let listTimeout: Duration
    /// How old a backend's list may grow before a listing fetches it again (in the background), unless the backend
    /// gave a `ttlMs` of its own; backends that announce their changes are fetched again when they do.
    nonisolated let refreshInterval: Duration
    /// The merged lists and routes of each view that was listed, by the backends it holds: the global backends', and
    /// each caller's.
    private nonisolated let tables = Mutex<[[ObjectIdentifier]: RouteTable]>([:])
    private nonisolated let maximumTables = 1024
    private var listeners: [UUID: AsyncStream<String>.Continuation] = [:]
    /// Resolves the member backends a caller may reach; nil when there are none (single-operator installs).
    private nonisolated let memberResolver = Mutex<(any MemberBackendResolver)?>(nil)
    /// Gives each caller their own instance of the `perSubject` global backends; nil when there are none.
    private nonisolated let subjectInstances = Mutex<(any SubjectBackendProvider)?>(nil)

    /// One merged list of a view: its items under their exposed names, sorted, with the backend each came from;
    /// the routes from exposed names back (tools and prompts), tool definitions by exposed name (for `x-mcp-header`
    /// arguments), and the catalog generations it was merged from.
    struct MergedList: Sendable {
        var generations: [UInt64]
        var items: [(backend: String, item: JSONValue)]
        var routes: [String: Route] = [:]
        var definitions: [String: JSONValue] = [:]
    }

    struct RouteTable: Sendable {
        var lists: [CatalogKind: MergedList] = [:]
    }

    /// `backends` must have unique names; they are kept in name order, which fixes the merge order.
    public init(backends: [ManagedBackend], listTimeout: Duration, refreshInterval: Duration = .seconds(60)) {
        self.current = Mutex(backends.sorted { $0.settings.name < $1.settings.name })
        self.listTimeout = listTimeout
        self.refreshInterval = refreshInterval
    }

    /// From now on, callers also reach the member backends `resolver` gives them.
    public nonisolated func resolveMemberBackends(with resolver: any MemberBackendResolver) {
        memberResolver.withLock { $0 = resolver }
    }

    /// From now on, each caller reaches the `perSubject` global backends through the instance `provider` gives them.
    public nonisolated func resolvePerSubjectBackends(with provider: any SubjectBackendProvider) {
        subjectInstances.withLock { $0 = provider }
    }

    /// What `subject` may reach now: every global backend (their own instance of those each caller reaches as
    /// themselves), then their member backends.
    public nonisolated func view(for subject: String?) async -> BackendView {
        var globals = backends
        if let subject, let provider = subjectInstances.withLock({ $0 }) {
            globals = await provider.instances(replacing: globals, for: subject)
        }
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
    public nonisolated func release(_ backend: ManagedBackend) {
        let id = ObjectIdentifier(backend)
        tables.withLock { tables in tables = tables.filter { !$0.key.contains(id) } }
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
        backend.onCatalogChange { [weak self] _, kind in
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
        if !retired.isEmpty || !added.isEmpty { tables.withLock { $0 = [:] } }
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

    /// Each backend's list of `kind` from its catalog, in backend-name order, with the generations read. A listing
    /// never waits for a backend that has been listed: a list older than its refresh interval is served while a
    /// fresh one is fetched. It waits only for a backend's first list, and only until the listing timeout has passed
    /// since that first fetch began, so a backend that never answers delays the listings of its first seconds, not
    /// every listing after; its tools appear when it answers, with list_changed sent.
    nonisolated func gather(_ kind: CatalogKind, from backends: [ManagedBackend]) async -> (
        lists: [(ManagedBackend, [JSONValue])], generations: [UInt64]
    ) {
        let now = ContinuousClock.now
        var lists: [[JSONValue]?] = []
        var generations: [UInt64] = []
        var waiting: [Int] = []
        lists.reserveCapacity(backends.count)
        generations.reserveCapacity(backends.count)
        for (index, backend) in backends.enumerated() {
            let entry = backend.catalogEntry(kind)
            if isStale(entry, now: now) { backend.refreshInBackground(kind) }
            lists.append(entry.items)
            generations.append(entry.generation)
            if entry.items == nil, now - (entry.firstFetchStarted ?? now) < listTimeout { waiting.append(index) }
        }
        if !waiting.isEmpty {
            let timeout = listTimeout
            let fetched = await withTaskGroup(of: (Int, [JSONValue]?, UInt64).self) { group in
                for index in waiting {
                    let backend = backends[index]
                    group.addTask {
                        let fetch = await backend.refreshTask(kind)
                        let started = backend.catalogEntry(kind).firstFetchStarted ?? .now
                        let remaining = timeout - (ContinuousClock.now - started)
                        if remaining > .zero { _ = await value(of: fetch, within: remaining) }
                        let entry = backend.catalogEntry(kind)
                        return (index, entry.items, entry.generation)
                    }
                }
                var results: [(Int, [JSONValue]?, UInt64)] = []
                for await result in group { results.append(result) }
                return results
            }
            for (index, items, generation) in fetched {
                lists[index] = items
                generations[index] = generation
            }
        }
        let gathered = zip(backends, lists).compactMap { backend, items in items.map { (backend, $0) } }
        return (gathered, generations)
    }

    /// Whether a list is due to be fetched again: never fetched, or older than the backend's `ttlMs` (at least a
    /// second) or else the refresh interval.
    nonisolated func isStale(_ entry: BackendCatalog.Entry, now: ContinuousClock.Instant) -> Bool {
        guard let fetchedAt = entry.fetchedAt else { return !entry.refreshing }
        let interval = entry.ttlMilliseconds.map { Duration.milliseconds(max($0, 1000)) } ?? refreshInterval
        return now - fetchedAt >= interval
    }

    /// The merged list of `kind` in `view`, exposed names applied, sorted by exposed name (or URI); only the items of
    /// the backends `reachable` admits (by name), though names are assigned over the whole view, the global backends
    /// first, so a global tool's name never depends on who asks and a member's backend never takes it. Merged once per
    /// change of the view's catalogs, and kept per view, so one caller's list never serves another.
    public nonisolated func merged(
        _ kind: CatalogKind, view: BackendView? = nil, reachable: @Sendable (String) -> Bool = { _ in true }
    ) async -> [JSONValue] {
        let list = await mergedList(kind, view: view ?? BackendView(globals: backends))
        return list.items.filter { reachable($0.backend) }.map(\.item)
    }

    nonisolated func mergedList(_ kind: CatalogKind, view: BackendView) async -> MergedList {
        let (gathered, generations) = await gather(kind, from: view.all)
        if let cached = tables.withLock({ $0[view.key]?.lists[kind] }), cached.generations == generations { return cached }
        let list = Self.merge(kind, gathered, generations: generations)
        tables.withLock { tables in
            if tables[view.key] == nil, tables.count >= maximumTables {
                let everyGlobal = backends.map(ObjectIdentifier.init)
                tables = tables.filter { $0.key == everyGlobal }
            }
            tables[view.key, default: RouteTable()].lists[kind] = list
        }
        return list
    }

    static func merge(_ kind: CatalogKind, _ gathered: [(ManagedBackend, [JSONValue])], generations: [UInt64]) -> MergedList {
        var list = MergedList(generations: generations, items: [])
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
            for (backend, items) in gathered {
                for item in items {
                    guard case .object(var fields) = item, let name = fields["name"]?.stringValue,
                        let exposedName = names[
                            .init(backend: backend.settings.name, prefix: backend.settings.prefix, name: name)]
                    else { continue }
                    guard list.routes[exposedName] == nil else { continue }
                    fields["name"] = .string(exposedName)
                    list.routes[exposedName] = Route(backend: backend, originalName: name)
                    if kind == .tools { list.definitions[exposedName] = item }
                    list.items.append((backend.settings.name, .object(fields)))
                }
            }
            list.items.sort { ($0.item["name"]?.stringValue ?? "") < ($1.item["name"]?.stringValue ?? "") }
        case .resources, .resourceTemplates:
            let key = kind == .resources ? "uri" : "uriTemplate"
            for (backend, items) in gathered {
                for item in items {
                    guard case .object(var fields) = item, let uri = fields[key]?.stringValue else { continue }
                    fields[key] = .string(ExposedNames.resourceURI(uri, uriPrefix: backend.uriPrefix))
                    list.items.append((backend.settings.name, .object(fields)))
                }
            }
            list.items.sort { ($0.item[key]?.stringValue ?? "") < ($1.item[key]?.stringValue ?? "") }
        }
        return list
    }

    /// The smallest `ttlMs` any backend of the view gave for `kind`, if any did.
    nonisolated func smallestTTL(_ kind: CatalogKind, view: BackendView? = nil) -> Int64? {
        (view?.all ?? backends).compactMap { $0.catalogEntry(kind).ttlMilliseconds }.min()
    }

    // MARK: routes

    /// The backend and original name behind an exposed tool or prompt name in `view`. A name not in the merged list
    /// that carries a backend's prefix has that backend's list fetched once more (a tool added a moment ago).
    public nonisolated func route(_ kind: CatalogKind, exposedName: String, view: BackendView? = nil) async -> Route? {
        let view = view ?? BackendView(globals: backends)
        if let route = tables.withLock({ $0[view.key]?.lists[kind]?.routes[exposedName] }) { return route }
        if let route = await mergedList(kind, view: view).routes[exposedName] { return route }
        let owners = view.all.filter { exposedName.hasPrefix(ExposedNames.sanitize($0.settings.prefix) + ExposedNames.separator) }
        guard !owners.isEmpty else { return nil }
        let timeout = listTimeout
        await withTaskGroup(of: Void.self) { group in
            for backend in owners {
                group.addTask { _ = await value(of: await backend.refreshTask(kind), within: timeout) }
            }
        }
        return await mergedList(kind, view: view).routes[exposedName]
    }

    nonisolated func toolDefinition(_ exposedName: String, view: BackendView? = nil) -> JSONValue? {
        let key = (view ?? BackendView(globals: backends)).key
        return tables.withLock { $0[key]?.lists[.tools]?.definitions[exposedName] }
    }

    /// Why a name with a backend's prefix has no route: that backend lists nothing because it is down or starting.
    /// Nil when no such backend exists or it answers (then the name is simply unknown).
    nonisolated func unavailability(
        ofExposedName name: String, view: BackendView? = nil, reachable: @Sendable (String) -> Bool = { _ in true }
    ) -> String? {
        for backend in view?.all ?? backends where reachable(backend.settings.name) {
            let prefix = ExposedNames.sanitize(backend.settings.prefix) + ExposedNames.separator
            let state = backend.state
            guard name.hasPrefix(prefix), state == .down || state == .starting else { continue }
            let reason = backend.lastError.map { ": \($0)" } ?? ""
            return "backend '\(backend.settings.name)' is \(state.rawValue)\(reason)"
        }
        return nil
    }

    /// A tool name with the prefix of a backend the caller reaches as themselves, which their list does not show (they
    /// have not signed in there yet, or the list is on its way): the call goes there, to be answered by it or asked to
    /// sign in.
    nonisolated func unlistedRoute(ofExposedName name: String, view: BackendView?) -> Route? {
        for backend in view?.all ?? backends where backend.settings.perSubject {
            let prefix = ExposedNames.sanitize(backend.settings.prefix) + ExposedNames.separator
            guard name.hasPrefix(prefix), name.count > prefix.count else { continue }
            return Route(backend: backend, originalName: String(name.dropFirst(prefix.count)))
        }
        return nil
    }

    /// The backend and original URI behind an exposed resource URI: by its scheme prefix, else (a URI a tool
    /// handed out as it was) by the one backend whose last list holds it.
    public nonisolated func routeResource(_ uri: String, view: BackendView? = nil) -> Route? {
        let backends = view?.all ?? self.backends
        if let plus = uri.firstIndex(of: "+") {
            let prefix = String(uri[..<plus])
            if let backend = backends.first(where: { $0.uriPrefix == prefix }) {
                return Route(backend: backend, originalName: String(uri[uri.index(after: plus)...]))
            }
        }
        let owners = backends.filter { $0.lastGood(.resources)?.contains(where: { $0["uri"]?.stringValue == uri }) == true }
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

    public nonisolated func status() -> [JSONValue] {
        backends.map { $0.status() }
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
