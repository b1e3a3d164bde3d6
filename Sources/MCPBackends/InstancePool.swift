import MCPCore
import Synchronization

/// Several instances of one backend (processes of one command) behind one: each request goes to the instance with the
/// fewest requests in flight, so that a busy backend's calls spread over them. Listings come from the first; a
/// notification from any one is passed on.
public final class InstancePool: ReplaceableBackend {
    let instances: [any Backend]
    private let inFlight: Mutex<[Int]>
    /// Where notifications go: the handler the pool was connected with.
    private let handler = NotificationHandlerBox()

    public init(_ instances: [any Backend]) {
        precondition(!instances.isEmpty, "a pool of no instances")
        self.instances = instances
        self.inFlight = Mutex(Array(repeating: 0, count: instances.count))
    }

    /// Connects every instance; the pool is up when the first is (the others join as they come up).
    public func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        handler.set(notifications)
        let description = try await instances[0].connect(notifications: notifications)
        await withTaskGroup(of: Void.self) { group in
            for instance in instances.dropFirst() {
                group.addTask { _ = try? await instance.connect(notifications: notifications) }
            }
        }
        return description
    }

    public func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        let chosen = inFlight.withLock { counts -> Int in
            let index = counts.indices.min { counts[$0] < counts[$1] } ?? 0
            counts[index] += 1
            return index
        }
        defer { inFlight.withLock { $0[chosen] -= 1 } }
        let instance = instances[chosen]
        // An instance that is not running (it died, or has not come up yet) starts again before it is asked.
        do {
            return try await instance.send(request, observer: observer)
        } catch BackendError.unreachable(let reason) where reason.hasSuffix("not running") {
            let forward = handler
            _ = try await instance.connect(notifications: { forward.deliver($0) })
            return try await instance.send(request, observer: observer)
        }
    }

    public func endSession(_ key: String) async {
        for instance in instances { await instance.endSession(key) }
    }

    public var isResting: Bool {
        get async {
            for case let instance as any ReplaceableBackend in instances where await !instance.isResting { return false }
            return true
        }
    }

    public func replace(because reason: String) async {
        for case let instance as any ReplaceableBackend in instances { await instance.replace(because: reason) }
    }

    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for instance in instances { group.addTask { await instance.shutdown() } }
        }
    }
}

/// The notification handler a backend was last connected with, for instances that connect later.
final class NotificationHandlerBox: Sendable {
    private let stored = Mutex<(@Sendable (BackendNotification) -> Void)?>(nil)

    func set(_ handler: @escaping @Sendable (BackendNotification) -> Void) {
        stored.withLock { $0 = handler }
    }

    func deliver(_ notification: BackendNotification) {
        let handler = stored.withLock { $0 }
        handler?(notification)
    }
}
