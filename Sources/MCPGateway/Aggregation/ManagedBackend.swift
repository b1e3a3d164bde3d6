import Foundation
import Logging
import MCPCore

/// How the gateway runs one backend: connecting (again), the circuit breaker, the last good lists, health.
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

    public nonisolated let settings: Settings
    nonisolated let backend: any Backend
    /// The scheme prefix of this backend's resource URIs, unique among backends.
    public nonisolated let uriPrefix: String
    let logger: Logger
    /// How long connecting may take before the attempt counts as failed.
    let connectTimeout: Duration

    private(set) var description: BackendDescription?
    private var connecting: Task<BackendDescription, any Error>?
    private var breaker = CircuitBreaker()
    private var attempted = false
    private(set) var lastError: String?
    private(set) var lastLatency: Duration?
    private(set) var lastChecked: Date?
    private(set) var catalog = BackendCatalog()
    private var refreshing: [CatalogKind: (task: Task<[JSONValue], any Error>, started: ContinuousClock.Instant)] = [:]
    private var catalogListener: (@Sendable (String, CatalogKind) -> Void)?
    private var isShutDown = false
    /// Requests sent and not yet answered, so a backend taken out of service can finish them first.
    private var inFlight = 0

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

    /// Called with the backend name and the list that changed, when a backend says so or reconnects.
    func onCatalogChange(_ listener: @escaping @Sendable (String, CatalogKind) -> Void) {
        catalogListener = listener
    }

    var state: State {
        if !attempted { return .starting }
        if breaker.isOpen || description == nil { return .down }
        return breaker.consecutiveFailures > 0 ? .degraded : .up
    }

    // MARK: connecting

    /// The backend's description, connecting first when needed. Refused fast while the circuit is open.
    func connected() async throws -> BackendDescription {
        if let description { return description }
        if let connecting {
            // A waiter that is cancelled (shutdown, a departed client) cancels the attempt; the next request starts another.
            return try await withTaskCancellationHandler {
                try await connecting.value
            } onCancel: {
                connecting.cancel()
            }
        }
        if case .refuse(let retryAfter) = breaker.decide() { throw refusal(retryAfter) }
        attempted = true
        let backend = self.backend
        let timeout = connectTimeout
        let handler: @Sendable (BackendNotification) -> Void = { [weak self] notification in
            guard let self else { return }
            Task { await self.handle(notification) }
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
            self.description = description
            lastLatency = .now - started
            lastChecked = Date()
            lastError = nil
            breaker.recordSuccess()
            logger.info(
                "backend connected",
                metadata: [
                    "era": "\(description.era.isModern ? "modern" : "handshake")", "version": "\(description.era.version)",
                ])
            // A (re)connected backend may offer different lists than before.
            for kind in CatalogKind.allCases { catalogListener?(settings.name, kind) }
            return description
        } catch {
            connecting = nil
            recordFailure(error)
            throw error
        }
    }

    private func refusal(_ retryAfter: Duration) -> BackendError {
        let reason = lastError.map { "; last error: \($0)" } ?? ""
        return .unreachable(
            "the backend is marked down after repeated failures\(reason); next try in \(retryAfter.secondsDescription)")
    }

    private func recordFailure(_ error: any Error) {
        lastChecked = Date()
        guard !(error is CancellationError) else { return }
        breaker.recordFailure()
        let text = (error as? BackendError)?.description ?? "\(error)"
        if lastError != text { logger.warning("backend failed: \(text)") }
        lastError = text
        switch error as? BackendError {
        case .timedOut, .httpStatus?:
            break
        default:
            // Unreachable, shut down or speaking nonsense: connect again before the next request.
            description = nil
        }
    }

    private func handle(_ notification: BackendNotification) {
        if notification.method == BackendNotification.disconnected {
            description = nil
            recordFailure(BackendError.unreachable("the connection was lost"))
            return
        }
        let kinds = CatalogKind.changed(by: notification.method)
        for kind in kinds {
            catalog.lists[kind] = nil
            catalogListener?(settings.name, kind)
        }
        if kinds.isEmpty && notification.method == "notifications/message" {
            logger.info("backend log: \(notification.params?["data"].map { $0.stringValue ?? $0.serializedString } ?? "")")
        }
    }

    // MARK: requests

    /// Sends a request through the circuit breaker; transport failures count against the backend.
    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>
    {
        inFlight += 1
        defer { inFlight -= 1 }
        _ = try await connected()
        if case .refuse(let retryAfter) = breaker.decide() { throw refusal(retryAfter) }
        let started = ContinuousClock.now
        // A list change announced in the middle of a call counts as much as one announced on its own.
        let spy = ListChangeSpy(inner: observer) { [weak self] notification in await self?.handle(notification) }
        do {
            let result = try await backend.send(request, observer: spy)
            lastLatency = .now - started
            lastChecked = Date()
            breaker.recordSuccess()
            lastError = nil
            return result
        } catch {
            recordFailure(error)
            throw error
        }
    }

    // MARK: lists

    /// The backend's whole list of `kind`, every page followed; nil when the backend has no such list.
    /// Several callers share one fetch.
    func refresh(_ kind: CatalogKind) async throws -> [JSONValue] {
        try await refreshTask(kind).task.value
    }

    /// The running fetch of `kind` and when it started, started now if none runs: callers may stop waiting without
    /// stopping it.
    func refreshTask(_ kind: CatalogKind) -> (task: Task<[JSONValue], any Error>, started: ContinuousClock.Instant) {
        if let running = refreshing[kind] { return running }
        let task = Task {
            defer { Task { await self.refreshEnded(kind) } }
            return try await self.fetch(kind)
        }
        let running = (task: task, started: ContinuousClock.now)
        refreshing[kind] = running
        return running
    }

    private func refreshEnded(_ kind: CatalogKind) {
        refreshing[kind] = nil
    }

    private func fetch(_ kind: CatalogKind) async throws -> [JSONValue] {
        let description = try await connected()
        guard description.capabilities[kind.capability] != nil else {
            catalog.lists[kind] = []
            return []
        }
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
                    catalog.lists[kind] = items
                    catalog.ttlMilliseconds[kind] = smallestTTL
                    return items
                }
                seenCursors.insert(next)
                cursor = next
            case .failure(let failure):
                throw BackendError.protocolViolation("\(kind.listMethod) failed: \(failure.message)")
            }
        }
        throw BackendError.protocolViolation("\(kind.listMethod) kept returning more pages")
    }

    func lastGood(_ kind: CatalogKind) -> [JSONValue]? {
        catalog.lists[kind]
    }

    // MARK: health

    /// A background check: connect when down, otherwise a cheap request that proves the backend answers.
    func check() async {
        guard !isShutDown else { return }
        guard description != nil else {
            _ = try? await connected()
            return
        }
        let method = description?.era.isModern == true ? "server/discover" : "ping"
        _ = try? await send(BackendRequest(method: method, params: [:], timeout: .seconds(10)), observer: SilentObserver())
    }

    func status() -> JSONValue {
        var entry: [String: JSONValue] = [
            "name": .string(settings.name),
            "prefix": .string(settings.prefix),
            "transport": .string(settings.transport),
            "state": .string(state.rawValue),
            "tools": .int(Int64(catalog.lists[.tools]?.count ?? 0)),
        ]
        if settings.operatorOnly { entry["operator_only"] = true }
        if let description {
            entry["era"] = .string(description.era.isModern ? "modern" : "handshake")
            entry["protocol_version"] = .string(description.era.version)
            if let serverInfo = description.serverInfo { entry["server_info"] = serverInfo }
        }
        entry["last_error"] = lastError.map(JSONValue.string) ?? .null
        entry["last_latency_ms"] =
            lastLatency.map { .double(Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15) } ?? .null
        entry["last_checked"] = lastChecked.map { .string(Timestamp.string($0)) } ?? .null
        return .object(entry)
    }

    /// Returns once no request is in flight, or after `limit`.
    func drained(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while inFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    public func shutdown() async {
        isShutDown = true
        await backend.shutdown()
    }

    func endSession(_ key: String) async {
        await backend.endSession(key)
    }
}

/// Passes everything on, and reports list changes to the backend's manager as well.
struct ListChangeSpy: BackendRequestObserver {
    let inner: any BackendRequestObserver
    let onListChange: @Sendable (BackendNotification) async -> Void

    func notification(_ notification: BackendNotification) async {
        if !CatalogKind.changed(by: notification.method).isEmpty { await onListChange(notification) }
        await inner.notification(notification)
    }

    func serverRequest(method: String, params: JSONValue?) async -> Result<JSONValue, JSONRPC.Failure> {
        await inner.serverRequest(method: method, params: params)
    }
}
