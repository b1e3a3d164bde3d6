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
