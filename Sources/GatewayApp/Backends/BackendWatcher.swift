import ServiceLifecycle
import UnixSignals

/// Reloads the backends when the backends file changes (polled: it works the same on every file system, in bind
/// mounts and when an editor replaces the file) and whenever the process gets SIGHUP.
struct BackendWatcher: Service {
    let reloader: BackendReloader
    let interval: Duration

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in hangups { await reloader.reload(trigger: "SIGHUP") }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        await reloader.reloadIfFileChanged()
                    }
                }
                await group.waitForAll()
            }
        }
    }
}
