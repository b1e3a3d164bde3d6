import Logging
import MCPCore
import Synchronization

/// Collects audit events off the request path and writes them in batches: every second, or at 100 events.
public final class AuditRecorder: Sendable {
    let sink: any AuditSink
    let logger: Logger
    /// Events with their arguments still raw: redacting and writing them out is the flush's work, not the request's.
    private let buffer = Mutex<[(AuditEvent, JSONValue?)]>([])
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

    /// Queues an event; never waits on the database. `arguments`, when given, replace the event's once redacted.
    public func record(_ event: AuditEvent, arguments: JSONValue? = nil) {
        let count = buffer.withLock { events in
            events.append((event, arguments))
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
        // The last write must happen even when the server is being cancelled (a shutdown past its bound): the
        // database refuses work from a cancelled task, so it runs in a task of its own.
        await Task { await flush() }.value
    }

    public func stop() {
        wakeUp.finish()
    }

    /// Writes everything buffered now.
    public func flush() async {
        while true {
            let pending = buffer.withLock { events -> [(AuditEvent, JSONValue?)] in
                let batch = Array(events.prefix(Self.batchSize * 10))
                events.removeFirst(batch.count)
                return batch
            }
            guard !pending.isEmpty else { return }
            let batch = pending.map { event, arguments in
                var event = event
                if let arguments { event.arguments = ArgumentRedaction.redacted(arguments) }
                return event
            }
            do {
                try await sink.append(batch)
            } catch {
                logger.error("audit write failed; keeping \(batch.count) events for the next try: \(error)")
                buffer.withLock { $0.insert(contentsOf: batch.map { ($0, nil) }, at: 0) }
                return
            }
        }
    }
}
