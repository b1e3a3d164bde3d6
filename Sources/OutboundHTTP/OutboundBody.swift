import NIOCore
import Synchronization

/// A body still arriving, read chunk by chunk. The connection reads ahead a few chunks, then waits for the reader:
/// a backend that streams faster than its events are handled cannot fill the gateway's memory. Ending the iteration
/// early (or dropping the body) ends the request. Errors thrown are `OutboundHTTPError`.
public struct OutboundBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    typealias Producer = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, Demand
    >

    private let producer: Producer

    static func make(reader: AnswerReader) -> (OutboundBody, Source) {
        let demand = Demand(reader: reader)
        let made = Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: true, delegate: demand)
        return (OutboundBody(producer: made.sequence), Source(source: made.source, demand: demand))
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: producer.makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: Producer.AsyncIterator

        public mutating func next() async throws -> ByteBuffer? {
            do {
                return try await inner.next()
            } catch {
                throw OutboundHTTPError(error)
            }
        }
    }

    /// The rest of the body, up to `limit` bytes.
    public func collect(upTo limit: Int) async throws(OutboundHTTPError) -> ByteBuffer {
        var collected = ByteBuffer()
        do {
            for try await var chunk in self {
                guard collected.readableBytes + chunk.readableBytes <= limit else {
                    throw OutboundHTTPError.tooLarge(limit: limit)
                }
                collected.writeBuffer(&chunk)
            }
        } catch {
            throw OutboundHTTPError(error)
        }
        return collected
    }

    /// The producing end, driven from the connection's event loop.
    struct Source: Sendable {
        let source: Producer.Source
        let demand: Demand

        /// Hands `buffer` to the reader; the future completes when the connection may read on.
        func deliver(_ buffer: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
            switch source.yield(buffer) {
            case .produceMore, .dropped: eventLoop.makeSucceededVoidFuture()
            case .stopProducing: demand.wait(on: eventLoop)
            }
        }

        func finish() { source.finish() }
        func finish(throwing error: OutboundHTTPError) { source.finish(error) }
    }

    /// The reader's demand: when it wants more, and when it is gone.
    final class Demand: NIOAsyncSequenceProducerDelegate {
        private enum State {
            case flowing
            case waiting(EventLoopPromise<Void>)
            /// The reader asked for more before the connection started to wait.
            case wanted
        }

        private let state = Mutex(State.flowing)
        private let reader: AnswerReader

        init(reader: AnswerReader) {
            self.reader = reader
        }

        func wait(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
            let promise = eventLoop.makePromise(of: Void.self)
            let resumeNow = state.withLock { state in
                if case .wanted = state {
                    state = .flowing
                    return true
                }
                state = .waiting(promise)
                return false
            }
            if resumeNow { promise.succeed() }
            return promise.futureResult
        }

        func produceMore() {
            resume(next: .wanted)
        }

        func didTerminate() {
            resume(next: .flowing)
            reader.cancel()  // the body's reader went away: the request has nothing left to do
        }

        private func resume(next: State) {
            let waiting: EventLoopPromise<Void>? = state.withLock { state in
                if case .waiting(let promise) = state {
                    state = .flowing
                    return promise
                }
                state = next
                return nil
            }
            waiting?.succeed()
        }
    }
}
