import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import GatewayApp

/// The slow-request cut-off on a channel whose clock the test moves: a whole request must arrive within the limit,
/// counted from the connection's opening or the end of the previous answer, and nothing is timed while answering.
@Suite struct RequestReadDeadlineTests {
    static let limit = TimeAmount.seconds(10)

    func openChannel() async throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: RequestReadDeadlineHandler(limit: Self.limit))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).get()
        return channel
    }

    func receiveRequest(_ channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/mcp")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    func answer(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
    }

    @Test func aConnectionWithoutAWholeRequestIsClosedAtTheLimit() async throws {
        let channel = try await openChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/")))
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func nothingIsTimedWhileAnsweringAndTheNextRequestGetsItsOwnLimit() async throws {
        let channel = try await openChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try receiveRequest(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))  // a slow tool
        #expect(channel.isActive)
        try answer(channel)
        // The first timer (due at 10 s) has fired in between and found nothing to time; the new limit runs from here.
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aLaterDeadlineMovesThePendingTimer() async throws {
        let channel = try await openChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try receiveRequest(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        try answer(channel)  // due at 18 s; the timer set for 10 s is still pending
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))  // 12 s: the early timer woke and slept on
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))  // 17 s
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))  // 19 s
        #expect(!channel.isActive)
    }

    @Test func keptAliveRequestsEachArriveInTime() async throws {
        let channel = try await openChannel()
        for _ in 0..<20 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(8))
            try receiveRequest(channel)
            try answer(channel)
        }
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(!channel.isActive)
    }
}
