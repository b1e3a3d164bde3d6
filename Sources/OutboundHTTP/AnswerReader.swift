import NIOCore
import Synchronization

/// A request on its way, as the engine carrying it lets it be stopped.
protocol RunningRequest: AnyObject, Sendable {
    /// Where the timeout runs.
    var eventLoop: any EventLoop { get }
    /// Ends the request; the reader is told `.cancelled`.
    func cancel()
    /// Ends the request with `error`.
    func fail(_ error: OutboundHTTPError)
}

/// Reads one answer on its connection's event loop and hands it to the waiting caller once: whole when it is a
/// document, as its head and a body stream when `streams` says so. Every path that ends the request (the answer,
/// a failure, the caller's cancellation, the timeout) goes through one state, so the caller is resumed exactly once.
/// The engines (`PlainHTTPPool`, `AsyncHTTPClientEngine`) feed it.
final class AnswerReader: Sendable {
    private enum State {
        case idle
        case waitingForHead(CheckedContinuation<OutboundAnswer, any Error>)
        case collecting(OutboundHead, ByteBuffer, CheckedContinuation<OutboundAnswer, any Error>)
        case streaming(OutboundBody.Source)
        case finished
    }

    private struct Shared {
        var state = State.idle
        var running: (any RunningRequest)?
        var timer: Scheduled<Void>?
        var cancelled = false
    }

    private let limit: Int
    private let streams: @Sendable (OutboundHead) -> Bool
    private let shared = Mutex(Shared())
    private let live: LiveCount

    init(limit: Int, streams: @escaping @Sendable (OutboundHead) -> Bool, live: LiveCount) {
        self.limit = limit
        self.streams = streams
        self.live = live
        live.add(1)
    }

    deinit {
        live.add(-1)
    }

    func start(_ continuation: CheckedContinuation<OutboundAnswer, any Error>) {
        shared.withLock { $0.state = .waitingForHead(continuation) }
    }

    /// Keeps the running request, to cancel it, and starts the timeout on its event loop.
    func attach(_ running: any RunningRequest, timeout: Duration?) {
        let cancelledEarly = shared.withLock { shared in
            // An answer already over needs neither (and holding the request would keep it and this reader alive).
            if case .finished = shared.state { return false }
            shared.running = running
            if let timeout, !shared.cancelled {
                shared.timer = running.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { [weak running] in
                    running?.fail(.timedOut)
                }
            }
            return shared.cancelled
        }
        if cancelledEarly { running.cancel() }
    }

    func cancel() {
        let running = shared.withLock { shared in
            shared.cancelled = true
            return shared.running
        }
        running?.cancel()
    }

    /// The answer's head arrived. A declared body over the limit ends the request here.
    func receivedHead(_ outbound: OutboundHead) {
        let streaming = streams(outbound)
        let declaredLength = outbound.headers.first(name: "Content-Length").flatMap(Int.init)
        if !streaming, let declaredLength, declaredLength > limit {
            let running = shared.withLock { $0.running }
            fail(OutboundHTTPError.tooLarge(limit: limit))
            running?.cancel()
            return
        }
        let handover: (CheckedContinuation<OutboundAnswer, any Error>, OutboundBody)? = shared.withLock { shared in
            guard case .waitingForHead(let continuation) = shared.state else { return nil }
            guard streaming else {
                shared.state = .collecting(outbound, ByteBuffer(), continuation)
                return nil
            }
            let (body, source) = OutboundBody.make(reader: self)
            shared.state = .streaming(source)
            // A stream's timeout is for its head: the body may take as long as it lasts.
            shared.timer?.cancel()
            shared.timer = nil
            return (continuation, body)
        }
        if let (continuation, body) = handover { continuation.resume(returning: .stream(outbound, body)) }
    }

    /// A part of the body arrived; the future completes when the connection may read on.
    func receivedBody(_ buffer: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        enum Next {
            case read
            case tooLarge
            case deliver(OutboundBody.Source)
        }
        let next: Next = shared.withLock { shared in
            switch shared.state {
            case .collecting(let head, var collected, let continuation):
                guard collected.readableBytes + buffer.readableBytes <= limit else { return .tooLarge }
                shared.state = .finished  // leaves `collected` uniquely referenced while it grows
                var part = buffer
                collected.writeBuffer(&part)
                shared.state = .collecting(head, collected, continuation)
                return .read
            case .streaming(let source):
                return .deliver(source)
            case .idle, .waitingForHead, .finished:
                return .read
            }
        }
        switch next {
        case .read:
            return eventLoop.makeSucceededVoidFuture()
        case .tooLarge:
            let running = shared.withLock { $0.running }
            fail(OutboundHTTPError.tooLarge(limit: limit))
            running?.cancel()
            return eventLoop.makeSucceededVoidFuture()
        case .deliver(let source):
            return source.deliver(buffer, on: eventLoop)
        }
    }

    /// The whole answer has arrived.
    func finished() {
        let ended = finish()
        switch ended {
        case .collecting(let head, let body, let continuation):
            continuation.resume(returning: .whole(OutboundResponse(head: head, body: body)))
        case .streaming(let source):
            source.finish()
        case .waitingForHead(let continuation):
            continuation.resume(throwing: OutboundHTTPError.unreachable("the connection ended without an answer"))
        case .idle, .finished:
            break
        }
    }

    /// Moves to the end state and lets go of the request (which holds this reader: keeping it would keep both).
    private func finish() -> State {
        shared.withLock { shared in
            defer {
                shared.state = .finished
                shared.timer?.cancel()
                shared.timer = nil
                shared.running = nil
            }
            return shared.state
        }
    }

    /// The request failed (or was stopped); the caller, or the body's reader, learns why.
    func fail(_ error: any Error) {
        let failure = OutboundHTTPError(error)
        let ended = finish()
        switch ended {
        case .waitingForHead(let continuation), .collecting(_, _, let continuation):
            continuation.resume(throwing: failure)
        case .streaming(let source):
            source.finish(throwing: failure)
        case .idle, .finished:
            break
        }
    }
}

/// How many answers of one component are still held in memory: none once every request has ended, which the tests
/// check (a reader kept alive by a cycle with its request would keep the request, its body and its answer too).
final class LiveCount: Sendable {
    private let count = Atomic(0)

    func add(_ delta: Int) {
        count.add(delta, ordering: .relaxed)
    }

    var value: Int { count.load(ordering: .relaxed) }
}
