import Foundation
import Logging
import MCPCore
import Synchronization

/// How the gateway runs one backend: connecting (again), the circuit breaker, the catalog of its lists, health.
///
/// A call reads and updates the backend's health under a lock, without entering the actor; only connecting and
/// fetching lists, which are rare and slow, run on the actor.
public actor ManagedBackend {
    public struct Settings: Sendable {
        public var name: String
        public var prefix: String
        public var transport: String
        public var timeout: Duration
        public var toolFilter: ToolFilter
        /// Whether tool answers go into the audit trail (their first line and upstream status). Only for the
        /// built-in backends, whose answers are known to carry no secrets; another server's answer might.
        public var auditsResults: Bool
        /// Only the operator's callers reach it; members who sign in never see it.
        public var operatorOnly: Bool
        /// Each caller reaches it as themselves (an OAuth-protected upstream): a view holds the caller's own
        /// instance of it, and a name with its prefix goes to it even when that caller's list does not show it yet.
        public var perSubject: Bool = false

        public init(
            name: String, prefix: String, transport: String, timeout: Duration, toolFilter: ToolFilter,
            auditsResults: Bool = false, operatorOnly: Bool = false
        ) {
            self.operatorOnly = operatorOnly
            self.auditsResults = auditsResults
            self.name = name
            self.prefix = prefix
            self.transport = transport
            self.timeout = timeout
            self.toolFilter = toolFilter
        }
    }

    public enum State: String, Sendable {
        case starting, up, degraded, down
    }

    /// What calls read and write: the connection's description, the breaker, the last outcome.
    struct Health: Sendable {
        var description: BackendDescription?
        var breaker = CircuitBreaker()
        var attempted = false
        var lastError: String?
        var lastLatency: Duration?
        var lastChecked: Date?
        /// Requests sent and not yet answered, so a backend taken out of service can finish them first.
        var inFlight = 0
        var isShutDown = false
    }

    public nonisolated let settings: Settings
    /// The backend it runs (the composition root reads its own kinds back from it).
    public nonisolated let backend: any Backend
    /// The scheme prefix of this backend's resource URIs, unique among backends.
    public nonisolated let uriPrefix: String
    nonisolated let logger: Logger
    /// How long connecting may take before the attempt counts as failed.
    let connectTimeout: Duration

    private nonisolated let health = Mutex(Health())
    private nonisolated let catalog = Mutex(BackendCatalog())
    private nonisolated let catalogListener = Mutex<(@Sendable (String, CatalogKind) -> Void)?>(nil)
    private var connecting: Task<BackendDescription, any Error>?
    private var refreshing: [CatalogKind: Task<[JSONValue], any Error>] = [:]
    /// Whether a connection was made before: a fetch running across a reconnection may have listed the old one.
    private var connectedBefore = false

    public init(
        settings: Settings, backend: any Backend, uriPrefix: String, logger: Logger, connectTimeout: Duration = .seconds(30)
    ) {
        self.settings = settings
        self.backend = backend
        self.uriPrefix = uriPrefix
        var logger = logger
        logger[metadataKey: "backend"] = .string(settings.name)
        self.logger = logger
        self.connectTimeout = connectTimeout
    }

    /// Called with the backend name and the list that changed, once the changed list has been fetched.
    nonisolated func onCatalogChange(_ listener: @escaping @Sendable (String, CatalogKind) -> Void) {
        catalogListener.withLock { $0 = listener }
    }

    nonisolated var state: State {
        health.withLock { health in
            if !health.attempted { return .starting }
            if health.breaker.isOpen || health.description == nil { return .down }
            return health.breaker.consecutiveFailures > 0 ? .degraded : .up
        }
    }

    nonisolated var description: BackendDescription? { health.withLock { $0.description } }
    nonisolated var lastError: String? { health.withLock { $0.lastError } }

    // MARK: connecting

    /// The backend's description, connecting first when needed. Refused fast while the circuit is open.
    nonisolated func connected() async throws -> BackendDescription {
        if let description = health.withLock({ $0.description }) { return description }
        return try await connect()
    }

    private func connect() async throws -> BackendDescription {
        if let description = health.withLock({ $0.description }) { return description }
        if let connecting {
            // A waiter that is cancelled (shutdown, a departed client) cancels the attempt; the next request starts another.
            return try await withTaskCancellationHandler {
                try await connecting.value
            } onCancel: {
                connecting.cancel()
            }
        }
        let decision = health.withLock { health in
            let decision = health.breaker.decide()
            if decision == .allow { health.attempted = true }
            return decision
        }
        if case .refuse(let retryAfter) = decision { throw refusal(retryAfter) }
        let backend = self.backend
        let timeout = connectTimeout
        let handler: @Sendable (BackendNotification) -> Void = { [weak self] notification in
            self?.handle(notification)
        }
        let task = Task {
            do {
                return try await withTimeout(timeout) { try await backend.connect(notifications: handler) }
            } catch is TimeoutExpired {
                throw BackendError.timedOut(timeout)
            }
        }
        connecting = task
        let started = ContinuousClock.now
        do {
            let description = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            connecting = nil
            health.withLock { health in
                health.description = description
                health.lastLatency = .now - started
                health.lastChecked = Date()
                health.lastError = nil
                health.breaker.recordSuccess()
            }
            logger.info(
                "backend connected",
                metadata: [
                    "era": "\(description.era.isModern ? "modern" : "handshake")", "version": "\(description.era.version)",
                ])
            // A (re)connected backend may offer different lists than before. A fetch running during the first
            // connection waits for it, so it lists this one and need not be followed by another.
            for kind in CatalogKind.allCases { refreshInBackground(kind, again: connectedBefore) }
            connectedBefore = true
            return description
        } catch {
            connecting = nil
            recordFailure(error)
            throw error
        }
    }

    private nonisolated func refusal(_ retryAfter: Duration) -> BackendError {
        let reason = lastError.map { "; last error: \($0)" } ?? ""
        return .unreachable(
            "the backend is marked down after repeated failures\(reason); next try in \(retryAfter.secondsDescription)")
    }

    private nonisolated func recordFailure(_ error: any Error) {
        let text = (error as? BackendError)?.description ?? "\(error)"
        let changed = health.withLock { health -> Bool in
            health.lastChecked = Date()
            guard !(error is CancellationError) else { return false }
            health.breaker.recordFailure()
            switch error as? BackendError {
            case .timedOut, .httpStatus?:
                break
            default:
                // Unreachable, shut down or speaking nonsense: connect again before the next request.
                health.description = nil
            }
            defer { health.lastError = text }
            return health.lastError != text
        }
        if changed { logger.warning("backend failed: \(text)") }
    }

    private nonisolated func handle(_ notification: BackendNotification) {
        if notification.method == BackendNotification.disconnected {
            health.withLock { $0.description = nil }
            recordFailure(BackendError.unreachable("the connection was lost"))
            return
        }
        let kinds = CatalogKind.changed(by: notification.method)
        for kind in kinds { refreshInBackground(kind, again: true) }
        if kinds.isEmpty && notification.method == "notifications/message" {
            logger.info("backend log: \(notification.params?["data"].map { $0.stringValue ?? $0.serializedString } ?? "")")
        }
    }

    // MARK: requests

    /// Sends a request through the circuit breaker; transport failures count against the backend. A request made for
    /// a client's call is bounded by the backend's timeout through the call's scope.
    nonisolated func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        health.withLock { $0.inFlight += 1 }
        defer { health.withLock { $0.inFlight -= 1 } }
        _ = try await connected()
        if case .refuse(let retryAfter) = health.withLock({ $0.breaker.decide() }) { throw refusal(retryAfter) }
        let started = ContinuousClock.now
        request.scope?.stop(.timedOut(request.timeout), after: request.timeout)
        // A list change announced in the middle of a call counts as much as one announced on its own.
        let spy = ListChangeSpy(inner: observer) { [weak self] notification in self?.handle(notification) }
        do {
            let result = try await backend.send(request, observer: spy)
            health.withLock { health in
                health.lastLatency = .now - started
                health.lastChecked = Date()
                health.breaker.recordSuccess()
                health.lastError = nil
            }
            return result
        } catch let required as AuthorizationRequired {
            // The person has not signed in there: nothing is wrong with the backend.
            throw required
        } catch {
            var failure = error
            if error is CancellationError, case .timedOut(let limit)? = request.scope?.stopReason {
                failure = BackendError.timedOut(limit)
            }
            recordFailure(failure)
            throw failure
        }
    }

    // MARK: lists

    /// What the catalog holds of `kind` now.
    nonisolated func catalogEntry(_ kind: CatalogKind) -> BackendCatalog.Entry {
        catalog.withLock { $0[kind] }
    }

    nonisolated func lastGood(_ kind: CatalogKind) -> [JSONValue]? {
        catalogEntry(kind).items
    }

    /// Fetches `kind` again in the background, unless a fetch is running; with `again`, a running fetch is followed by
    /// another (the list changed while it ran).
    nonisolated func refreshInBackground(_ kind: CatalogKind, again: Bool = false) {
        let start = catalog.withLock { catalog in
            if catalog[kind].refreshing {
                if again { catalog.refreshAgain(kind) }
                return false
            }
            return true
        }
        if start { Task { _ = try? await self.refreshTask(kind).value } }
    }

    /// The running fetch of `kind` (the backend's whole list, every page followed), started now if none runs: several
    /// callers share it, and may stop waiting without stopping it.
    func refreshTask(_ kind: CatalogKind) -> Task<[JSONValue], any Error> {
        if let running = refreshing[kind] { return running }
        catalog.withLock { $0.began(kind, at: .now) }
        let task = Task {
            defer { Task { await self.refreshEnded(kind) } }
            return try await self.fetch(kind)
        }
        refreshing[kind] = task
        return task
    }

    private func refreshEnded(_ kind: CatalogKind) {
        refreshing[kind] = nil
        if catalog.withLock({ $0.ended(kind) }) { _ = refreshTask(kind) }
    }

    private func fetch(_ kind: CatalogKind) async throws -> [JSONValue] {
        do {
            let (items, ttl) = try await fetchPages(kind)
            let changed = catalog.withLock { $0.store(items, ttl: ttl, kind: kind, at: .now) }
            if changed, let listener = catalogListener.withLock({ $0 }) { listener(settings.name, kind) }
            return items
        } catch {
            catalog.withLock { $0.failed(kind, at: .now) }
            throw error
        }
    }

    private func fetchPages(_ kind: CatalogKind) async throws -> ([JSONValue], Int64?) {
        let description = try await connected()
        guard description.capabilities[kind.capability] != nil else { return ([], nil) }
        var items: [JSONValue] = []
        var cursor: JSONValue?
        var seenCursors: Set<JSONValue> = []
        var smallestTTL: Int64?
        for _ in 0..<1000 {
            var params: [String: JSONValue] = [:]
            if let cursor { params["cursor"] = cursor }
            let request = BackendRequest(method: kind.listMethod, params: .object(params), timeout: settings.timeout)
            switch try await send(request, observer: SilentObserver()) {
            case .success(let result):
                items += result[kind.resultKey]?.arrayValue ?? []
                if case .int(let ttl)? = result["ttlMs"] { smallestTTL = min(smallestTTL ?? ttl, ttl) }
                guard let next = result["nextCursor"], !next.isNull, !seenCursors.contains(next) else {
                    if kind == .tools { items = items.filter { settings.toolFilter.admits($0["name"]?.stringValue ?? "") } }
                    return (items, smallestTTL)
                }
                seenCursors.insert(next)
                cursor = next
            case .failure(let failure):
                throw BackendError.protocolViolation("\(kind.listMethod) failed: \(failure.message)")
            }
        }
        throw BackendError.protocolViolation("\(kind.listMethod) kept returning more pages")
    }

    // MARK: health

    /// A background check: connect when down, otherwise a cheap request that proves the backend answers.
    func check() async {
        let (isShutDown, description) = health.withLock { ($0.isShutDown, $0.description) }
        guard !isShutDown else { return }
        guard let description else {
            _ = try? await connected()
            return
        }
        // A process stopped for want of use is not woken to be asked how it is.
        if let replaceable = backend as? any ReplaceableBackend, await replaceable.isResting { return }
        let method = description.era.isModern ? "server/discover" : "ping"
        let limit = min(settings.timeout, .seconds(10))
        do {
            _ = try await send(BackendRequest(method: method, params: [:], timeout: limit), observer: SilentObserver())
        } catch let error as BackendError {
            // A process that stopped answering, or answers what is not MCP, is replaced; the next use starts a
            // fresh one (within the circuit breaker's backoff).
            guard let replaceable = backend as? any ReplaceableBackend else { return }
            switch error {
            case .timedOut, .protocolViolation:
                await replaceable.replace(because: "it did not answer its health check (\(error))")
            default: break
            }
        } catch {}
    }

    nonisolated func status() -> JSONValue {
        let health = self.health.withLock { $0 }
        var entry: [String: JSONValue] = [
            "name": .string(settings.name),
            "prefix": .string(settings.prefix),
            "transport": .string(settings.transport),
            "state": .string(state.rawValue),
            "tools": .int(Int64(lastGood(.tools)?.count ?? 0)),
        ]
        if settings.operatorOnly { entry["operator_only"] = true }
        if let description = health.description {
            entry["era"] = .string(description.era.isModern ? "modern" : "handshake")
            entry["protocol_version"] = .string(description.era.version)
            if let serverInfo = description.serverInfo { entry["server_info"] = serverInfo }
        }
        entry["last_error"] = health.lastError.map(JSONValue.string) ?? .null
        entry["last_latency_ms"] = health.lastLatency.map { .double($0.fractionalMilliseconds) } ?? .null
        entry["last_checked"] = health.lastChecked.map { .string(Timestamp.string($0)) } ?? .null
        return .object(entry)
    }

    /// Returns once no request is in flight, or after `limit`.
    func drained(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while health.withLock({ $0.inFlight }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    public func shutdown() async {
        health.withLock { $0.isShutDown = true }
        await backend.shutdown()
    }

    func endSession(_ key: String) async {
        await backend.endSession(key)
    }
}

/// Passes everything on, and reports list changes to the backend's manager as well.
struct ListChangeSpy: BackendRequestObserver {
    let inner: any BackendRequestObserver
    let onListChange: @Sendable (BackendNotification) -> Void

    func notification(_ notification: BackendNotification) async {
        if !CatalogKind.changed(by: notification.method).isEmpty { onListChange(notification) }
        await inner.notification(notification)
    }

    func serverRequest(method: String, params: JSONValue?) async -> Result<JSONValue, JSONRPC.Failure> {
        await inner.serverRequest(method: method, params: params)
    }
}
