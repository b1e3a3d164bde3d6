import Logging
import MCPCore
import Synchronization

/// Collects audit events off the request path and writes them in batches: every second, or at 100 events.
public final class AuditRecorder: Sendable {
    let sink: any AuditSink
    let logger: Logger
    private let buffer = Mutex<[AuditEvent]>([])
    private let wakeUp: AsyncStream<Void>.Continuation
    private let wakeUps: AsyncStream<Void>
    static let batchSize = 100
    /// Events held while the store fails, beyond which the oldest are dropped (and that is logged).
    static let maximumBuffered = 10_000

    public init(sink: any AuditSink, logger: Logger) {
        self.sink = sink
        self.logger = logger
        (wakeUps, wakeUp) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues an event; never waits on the database.
    public func record(_ event: AuditEvent) {
        let count = buffer.withLock { events in
            events.append(event)
            if events.count > Self.maximumBuffered { events.removeFirst(events.count - Self.maximumBuffered) }
            return events.count
        }
        if count >= Self.batchSize { wakeUp.yield() }
    }

    /// Writes batches until cancelled, then writes what is left: run it as a service.
    public func run(interval: Duration = .seconds(1)) async {
        let ticker = Task { [wakeUp] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wakeUp.yield()
            }
        }
        defer { ticker.cancel() }
        for await _ in wakeUps {
            if Task.isCancelled { break }
            await flush()
        }
        await flush()
    }

    public func stop() {
        wakeUp.finish()
    }

    /// Writes everything buffered now.
    public func flush() async {
        while true {
            let batch = buffer.withLock { events -> [AuditEvent] in
                let batch = Array(events.prefix(Self.batchSize * 10))
                events.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await sink.append(batch)
            } catch {
                logger.error("audit write failed; keeping \(batch.count) events for the next try: \(error)")
                buffer.withLock { $0.insert(contentsOf: batch, at: 0) }
                return
            }
        }
    }
}
