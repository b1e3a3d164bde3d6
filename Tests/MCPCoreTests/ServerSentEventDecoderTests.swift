import Testing

@testable import MCPCore

@Suite struct ServerSentEventDecoderTests {
    @Test func eventsSplitAnywhereAndInAnyLineEnding() throws {
        let stream =
            "event: endpoint\r\ndata: /messages?id=1\r\n\r\n: comment\n\ndata: {\"a\":\ndata: 1}\nid: 7\n\nevent: message\rdata: x\r\r"
        var decoder = ServerSentEventDecoder()
        var events: [ServerSentEventDecoder.Event] = []
        for byte in Array(stream.utf8) { events += try decoder.feed([byte]) }
        #expect(events.map(\.event) == ["endpoint", "message", "message"])
        #expect(events.map(\.data) == ["/messages?id=1", "{\"a\":\n1}", "x"])
        #expect(events[1].id == "7")
    }

    @Test func anOverlongLineIsRefused() {
        var decoder = ServerSentEventDecoder(maximumLineLength: 8)
        #expect(throws: ServerSentEventDecoder.Failure.self) { try decoder.feed(Array("data: 0123456789\n".utf8)) }
    }

    @Test func headerValuesRoundTrip() {
        #expect(MCPProtocol.encodeHeaderValue("plain-name") == "plain-name")
        for value in ["Zürich", " padded ", "=?base64?x?=", "日本"] {
            let encoded = MCPProtocol.encodeHeaderValue(value)
            #expect(encoded.hasPrefix("=?base64?"))
            #expect(MCPProtocol.decodeHeaderValue(encoded) == value)
        }
    }

    @Test func aSharedTaskIsWaitedForOnlyUpToTheLimit() async throws {
        // Waiting for this task would hang the test for an hour: returning at all shows the limit held.
        let slow = Task<Int, any Error> {
            try await Task.sleep(for: .seconds(3600))
            return 1
        }
        #expect(await value(of: slow, within: .milliseconds(50)) == nil)
        #expect(!slow.isCancelled)
        slow.cancel()
        #expect(await value(of: Task<Int, any Error> { 5 }, within: .seconds(30)) == 5)
    }
}
