import NIOCore

/// Closes a connection as soon as the client closes its side. The server otherwise allows half-closed connections
/// and keeps them until the answer in progress ends, which for an idle event stream is its next keep-alive write:
/// a departed client's socket and stream slot would linger for that long. Like nginx, the gateway takes a client's
/// end of input for its departure; no MCP client half-closes and then waits for an answer.
final class ClientHalfCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
