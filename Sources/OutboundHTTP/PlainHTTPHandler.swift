import NIOCore
import NIOHTTP1

/// The plain engine's end of one connection: writes a request, feeds its answer to the request's reader (holding
/// further reads while the reader is behind), and closes the connection when it has been idle too long.
final class PlainHTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var connection: PlainHTTPConnection?
    private var exchange: PlainRequest?
    private var reused = false
    private var answered = false
    private var keepAlive = true
    /// The reader has not taken the last part yet: reads wait.
    private var paused = false
    private var readPending = false
    private var idleTimer: Scheduled<Void>?

    init(idleTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        self.context = nil
    }

    func start(_ request: OutboundRequest, for exchange: PlainRequest, on connection: PlainHTTPConnection, reused: Bool) {
        guard let context, context.channel.isActive else {
            exchange.connectionFailed(
                connection, answered: false, reused: reused, error: .unreachable("the connection was closed"))
            return
        }
        idleTimer?.cancel()
        idleTimer = nil
        self.connection = connection
        self.exchange = exchange
        self.reused = reused
        answered = false
        keepAlive = true

        var headers = request.headers
        if !headers.contains(name: "Host") { headers.add(name: "Host", value: request.target.authority) }
        if let body = request.body {
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        } else if request.method == .POST || request.method == .PUT || request.method == .PATCH {
            headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        let head = HTTPRequestHead(
            version: .http1_1, method: request.method, uri: request.target.pathAndQuery, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange, let connection else {
            // Bytes nobody asked for: the connection is not in a state to carry a request.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            answered = true
            keepAlive = head.isKeepAlive
            exchange.reader.receivedHead(OutboundHead(status: Int(head.status.code), headers: head.headers))
        case .body(let buffer):
            let taken = exchange.reader.receivedBody(buffer, on: context.eventLoop)
            paused = true
            taken.assumeIsolated().whenComplete { [self] _ in
                paused = false
                if readPending {
                    readPending = false
                    self.context?.read()
                }
            }
        case .end:
            self.exchange = nil
            self.connection = nil
            let reusable = keepAlive && context.channel.isActive
            if reusable {
                let channel = context.channel
                idleTimer = context.eventLoop.scheduleTask(in: idleTimeout) { channel.close(promise: nil) }
            }
            exchange.completed(connection, keepAlive: reusable)
        }
    }

    func read(context: ChannelHandlerContext) {
        if paused {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        endExchange(.unreachable("the connection was closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endExchange(OutboundHTTPError(error))
        context.close(promise: nil)
    }

    private func endExchange(_ error: OutboundHTTPError) {
        guard let exchange, let connection else { return }
        self.exchange = nil
        self.connection = nil
        paused = false
        exchange.connectionFailed(connection, answered: answered, reused: reused, error: error)
    }
}
