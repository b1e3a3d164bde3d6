import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Reads one answer on its connection's event loop and hands it to the waiting caller once: whole when it is a
/// document, as its head and a body stream when `streams` says so. Every path that ends the request (the answer,
/// a failure, the caller's cancellation, the timeout) goes through one state, so the caller is resumed exactly once.
final class AnswerReader: HTTPClientResponseDelegate, Sendable {
    typealias Response = Void

    private enum State {
        case idle
        case waitingForHead(CheckedContinuation<OutboundAnswer, any Error>)
        case collecting(OutboundHead, ByteBuffer, CheckedContinuation<OutboundAnswer, any Error>)
        case streaming(OutboundBody.Source)
        case finished
    }

    private struct Shared {
        var state = State.idle
        var task: HTTPClient.Task<Void>?
        var timer: Scheduled<Void>?
        var cancelled = false
    }

    private let limit: Int
    private let streams: @Sendable (OutboundHead) -> Bool
    private let shared = Mutex(Shared())

    init(limit: Int, streams: @escaping @Sendable (OutboundHead) -> Bool) {
        self.limit = limit
        self.streams = streams
    }

    func start(_ continuation: CheckedContinuation<OutboundAnswer, any Error>) {
        shared.withLock { $0.state = .waitingForHead(continuation) }
    }

    /// Keeps the running request, to cancel it, and starts the timeout on its event loop.
    func attach(_ task: HTTPClient.Task<Void>, timeout: Duration?) {
        let cancelledEarly = shared.withLock { shared in
            shared.task = task
            if let timeout, !shared.cancelled {
                shared.timer = task.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { [weak task] in
                    task?.fail(reason: OutboundHTTPError.timedOut)
                }
            }
            return shared.cancelled
        }
        if cancelledEarly { task.cancel() }
        // A request refused before it started reaches no delegate method: its future still fails.
        task.futureResult.whenFailure { [self] error in fail(error) }
    }

    func cancel() {
        let task = shared.withLock { shared in
            shared.cancelled = true
            return shared.task
        }
        task?.cancel()
    }

    /// The body's reader went away before the end: the request has nothing left to do.
    func readerGone() { cancel() }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        let outbound = OutboundHead(status: Int(head.status.code), headers: head.headers)
        let streaming = streams(outbound)
        let declaredLength = head.headers.first(name: "Content-Length").flatMap(Int.init)
        if !streaming, let declaredLength, declaredLength > limit {
            fail(OutboundHTTPError.tooLarge(limit: limit))
            task.cancel()
            return task.eventLoop.makeSucceededVoidFuture()
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
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
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
            return task.eventLoop.makeSucceededVoidFuture()
        case .tooLarge:
            fail(OutboundHTTPError.tooLarge(limit: limit))
            task.cancel()
            return task.eventLoop.makeSucceededVoidFuture()
        case .deliver(let source):
            return source.deliver(buffer, on: task.eventLoop)
        }
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
        fail(error)
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        let ended: State = shared.withLock { shared in
            defer {
                shared.state = .finished
                shared.timer?.cancel()
                shared.timer = nil
            }
            return shared.state
        }
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

    private func fail(_ error: any Error) {
        let failure = OutboundHTTPError(error)
        let ended: State = shared.withLock { shared in
            defer {
                shared.state = .finished
                shared.timer?.cancel()
                shared.timer = nil
            }
            return shared.state
        }
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
