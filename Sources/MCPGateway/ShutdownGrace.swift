import MCPCore
import ServiceLifecycle

/// How long a call to a backend may go on once the server is stopping: it finishes if it can within `limit`,
/// and is stopped after that (the backend is told, the client gets an error), so a stop is never held up by
/// one slow tool and still never cuts off a call that was about to finish.
public struct ShutdownGrace: Sendable {
    public let limit: Duration

    public init(limit: Duration) {
        self.limit = limit
    }

    /// Runs `operation` as part of the call `scope` stands for, which is stopped `limit` after a graceful shutdown
    /// began; returns what the operation returns. Without a scope (a request no client waits on) the operation runs
    /// in a task of its own, so that it can be stopped all the same.
    func run<T: Sendable>(scope: CallScope?, _ operation: @escaping @Sendable () async -> T) async -> T {
        let limit = self.limit
        guard let scope else {
            let scope = CallScope()
            let task = Task { await operation() }
            scope.attach(task)
            defer { scope.finish() }
            return await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await task.value
                } onGracefulShutdown: {
                    scope.stop(.shuttingDown, after: limit)
                }
            } onCancel: {
                task.cancel()
            }
        }
        // Without a service group around (unit tests) the handler never runs.
        return await withGracefulShutdownHandler {
            await operation()
        } onGracefulShutdown: {
            scope.stop(.shuttingDown, after: limit)
        }
    }
}
