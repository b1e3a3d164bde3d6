import ServiceLifecycle

/// How long a call to a backend may go on once the server is stopping: it finishes if it can within `limit`,
/// and is cancelled after that (the backend is told, the client gets an error), so a stop is never held up by
/// one slow tool and still never cuts off a call that was about to finish.
public struct ShutdownGrace: Sendable {
    public let limit: Duration

    public init(limit: Duration) {
        self.limit = limit
    }

    /// Runs `operation`, cancelling it `limit` after a graceful shutdown began; returns what it returns.
    func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) async -> T {
        let limit = self.limit
        return await withTaskGroup(of: T?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                // Without a service group around (unit tests) this waits until it is cancelled.
                try? await gracefulShutdown()
                try? await Task.sleep(for: limit)
                return nil
            }
            var result: T?
            while result == nil, let next = await group.next() {
                result = next
                // Either the work is done (stop the timer) or the time is up (cancel the work and take its answer).
                group.cancelAll()
            }
            return result!
        }
    }
}
