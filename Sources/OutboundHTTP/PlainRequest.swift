import NIOCore
import NIOPosix
import Synchronization

/// One request on the plain engine: it takes a connection (kept or new), hands the request to its handler, and ends
/// once, by its answer, a failure, the caller's cancellation or the timeout.
final class PlainRequest: RunningRequest {
    private enum State {
        case waiting
        case sending(PlainHTTPConnection)
        case ended
    }

    let eventLoop: any EventLoop
    let request: OutboundRequest
    let address: PlainHTTPPool.Address
    let reader: AnswerReader
    private let pool: PlainHTTPPool
    private let state = Mutex(State.waiting)
    private let retried = Mutex(false)

    init(request: OutboundRequest, address: PlainHTTPPool.Address, reader: AnswerReader, pool: PlainHTTPPool) {
        // The caller's own event loop when it runs on one (Swift tasks do, in `serve`): no hop to reach the answer.
        self.eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        self.request = request
        self.address = address
        self.reader = reader
        self.pool = pool
    }

    func run(fresh: Bool = false) {
        if !fresh, let connection = pool.takeKept(address) {
            send(on: connection, reused: true)
            return
        }
        pool.connect(address, on: eventLoop).whenComplete { result in
            switch result {
            case .success(let connection): self.send(on: connection, reused: false)
            case .failure(let error): self.fail(OutboundHTTPError(error))
            }
        }
    }

    private func send(on connection: PlainHTTPConnection, reused: Bool) {
        let proceed = state.withLock { state in
            guard case .waiting = state else { return false }
            state = .sending(connection)
            return true
        }
        guard proceed else {
            // Ended while the connection was being made: it is as good as new for the next request.
            pool.keep(connection)
            return
        }
        if connection.channel.eventLoop.inEventLoop {
            connection.handler.value.start(request, for: self, on: connection, reused: reused)
        } else {
            connection.channel.eventLoop.execute {
                connection.handler.value.start(self.request, for: self, on: connection, reused: reused)
            }
        }
    }

    /// The answer has ended; the connection goes back to the pool when it can carry another.
    func completed(_ connection: PlainHTTPConnection, keepAlive: Bool) {
        state.withLock { $0 = .ended }
        reader.finished()
        if keepAlive { pool.keep(connection) } else { connection.channel.close(promise: nil) }
    }

    /// The connection failed under the request. A kept connection the server closed before answering (it closes idle
    /// ones on its own schedule, and the close can cross our request) did not take the request: it is sent once more
    /// on a new connection.
    func connectionFailed(_ connection: PlainHTTPConnection, answered: Bool, reused: Bool, error: OutboundHTTPError) {
        connection.channel.close(promise: nil)
        let again =
            reused && !answered
            && retried.withLock { retried in
                defer { retried = true }
                return !retried
            }
            && state.withLock { state in
                guard case .sending = state else { return false }
                state = .waiting
                return true
            }
        if again {
            run(fresh: true)
        } else {
            fail(error)
        }
    }

    func cancel() {
        fail(.cancelled)
    }

    func fail(_ error: OutboundHTTPError) {
        let connection: PlainHTTPConnection? = state.withLock { state in
            defer { state = .ended }
            if case .sending(let connection) = state { return connection }
            return nil
        }
        reader.fail(error)
        // Mid-answer, the connection cannot carry another request.
        connection?.channel.close(promise: nil)
    }
}
