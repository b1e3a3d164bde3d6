import NIOCore
import NIOPosix
import Synchronization

/// Thrown by `withTimeout` when the operation did not finish in time.
public struct TimeoutExpired: Error, Sendable {
    public let limit: Duration
}

/// Runs `operation`, cancelling it and throwing `TimeoutExpired` if it takes longer than `limit`. Returns (or throws)
/// once the operation has ended. The timer is an event loop's, removed as soon as the operation ends.
public func withTimeout<Value: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let expired = Mutex(false)
    let task = Task { try await operation() }
    let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(limit.nanoseconds)) {
        expired.withLock { $0 = true }
        task.cancel()
    }
    defer { timer.cancel() }
    do {
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    } catch {
        if expired.withLock({ $0 }) { throw TimeoutExpired(limit: limit) }
        throw error
    }
}

/// The value of `task` if it finishes within `limit`, else nil. Unlike `withTimeout`, the task is neither
/// cancelled nor waited for: it is shared work that others (or a later caller) still want.
public func value<Value: Sendable>(of task: Task<Value, any Error>, within limit: Duration) async -> Value? {
    let once = ResumeOnce()
    return await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(limit.nanoseconds)) {
            if once.claim() { continuation.resume(returning: nil) }
        }
        Task {
            let value = try? await task.value
            timer.cancel()
            if once.claim() { continuation.resume(returning: value) }
        }
    }
}

/// Lets exactly one of several racing paths resume a continuation.
public final class ResumeOnce: Sendable {
    private let taken = Mutex(false)

    public init() {}

    public func claim() -> Bool {
        taken.withLock { taken in
            defer { taken = true }
            return !taken
        }
    }
}
