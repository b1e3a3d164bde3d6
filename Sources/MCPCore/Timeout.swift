import Synchronization

/// Thrown by `withTimeout` when the operation did not finish in time.
public struct TimeoutExpired: Error, Sendable {
    public let limit: Duration
}

/// Runs `operation`, cancelling it and throwing `TimeoutExpired` if it takes longer than `limit`.
public func withTimeout<Value: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutExpired(limit: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// The value of `task` if it finishes within `limit`, else nil. Unlike `withTimeout`, the task is neither
/// cancelled nor waited for: it is shared work that others (or a later caller) still want.
public func value<Value: Sendable>(of task: Task<Value, any Error>, within limit: Duration) async -> Value? {
    let once = ResumeOnce()
    return await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
        let timer = Task {
            try? await Task.sleep(for: limit)
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
