import NIOCore
import NIOHTTPTypes

/// Closes a connection that takes longer than `limit` to deliver a whole request — headers and body —
/// counted from when the connection opens or its previous response ended. A client that trickles bytes
/// (slowloris) would otherwise hold a connection forever: an idle timeout restarts with every byte.
/// While a request is being answered nothing is timed, so slow tools and long event streams are unaffected.
///
/// One timer per connection, moved lazily: arming and disarming only set the deadline, and the timer, when it fires
/// early, sleeps on to the current one. A keep-alive connection thus schedules no timer per request.
final class RequestReadDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limit: TimeAmount
    /// When the connection is closed unless a whole request has arrived; nil while requests are being answered.
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private var requestsUnanswered = 0

    init(limit: TimeAmount) {
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        cancelTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            requestsUnanswered += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            requestsUnanswered = max(0, requestsUnanswered - 1)
            // The next request's time starts now (a keep-alive connection left idle counts too).
            if requestsUnanswered == 0 { arm(context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        let due = context.eventLoop.now + limit
        deadline = due
        if timer == nil { schedule(context, at: due) }
    }

    private func disarm() {
        deadline = nil
    }

    private func schedule(_ context: ChannelHandlerContext, at due: NIODeadline) {
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [weak self] in
            guard let self else { return }
            self.timer = nil
            guard let deadline = self.deadline, channel.isActive else { return }
            if deadline <= context.eventLoop.now {
                channel.close(promise: nil)
            } else {
                self.schedule(context, at: deadline)
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}
