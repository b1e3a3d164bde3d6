import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The engine for https (TLS, HTTP/2 where the server offers it): AsyncHTTPClient's callback API, its answer fed to
/// an `AnswerReader` on the connection's event loop.
struct AsyncHTTPClientEngine {
    let client: HTTPClient

    func start(_ request: OutboundRequest, reader: AnswerReader, timeout: Duration?) {
        let prepared: HTTPClient.Request
        do {
            prepared = try HTTPClient.Request(
                url: request.target.url, method: request.method, headers: request.headers,
                body: request.body.map { .byteBuffer($0) })
        } catch {
            reader.fail(OutboundHTTPError.invalidRequest("\(error)"))
            return
        }
        let task = client.execute(
            request: prepared, delegate: Delegate(reader: reader), eventLoop: .indifferent, deadline: nil)
        reader.attach(task, timeout: timeout)
        // A request refused before it started reaches no delegate method: its future still fails.
        task.futureResult.whenFailure { error in reader.fail(error) }
    }

    final class Delegate: HTTPClientResponseDelegate {
        typealias Response = Void
        let reader: AnswerReader

        init(reader: AnswerReader) {
            self.reader = reader
        }

        func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
            reader.receivedHead(OutboundHead(status: Int(head.status.code), headers: head.headers))
            return task.eventLoop.makeSucceededVoidFuture()
        }

        func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
            reader.receivedBody(buffer, on: task.eventLoop)
        }

        func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
            reader.fail(error)
        }

        func didFinishRequest(task: HTTPClient.Task<Void>) throws {
            reader.finished()
        }
    }
}

extension HTTPClient.Task: RunningRequest where Response == Void {
    func fail(_ error: OutboundHTTPError) {
        fail(reason: error)
    }
}
