import Testing

@testable import MCPCore

@Suite struct JSONRPCTests {
    func classify(_ text: String) throws(JSONRPC.Failure) -> JSONRPC.Message {
        try JSONRPC.classify(try! JSONValue.parse(Array(text.utf8)))
    }

    @Test func requestsNotificationsAndResponses() throws {
        guard case .request(let id, "tools/list", _) = try classify(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#) else {
            Issue.record("not a request")
            return
        }
        #expect(id == .int(7))
        guard
            case .notification("notifications/initialized", nil) = try classify(
                #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        else { Issue.record("not a notification"); return }
        guard case .response(.string("a")) = try classify(#"{"jsonrpc":"2.0","id":"a","result":{}}"#) else {
            Issue.record("not a response")
            return
        }
    }

    @Test(arguments: [
        (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, JSONValue.null),
        (#""text""#, .null),
        (#"{"jsonrpc":"2.0","id":5}"#, .int(5)),
        (#"{"jsonrpc":"1.0","id":5,"method":"ping"}"#, .int(5)),
        (#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#, .null),
        (#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, .null),
        (#"{"jsonrpc":"2.0","id":"q","method":42}"#, .string("q")),
        (#"{"jsonrpc":"2.0","id":"q","method":"ping","params":"x"}"#, .string("q")),
    ])
    func invalidRequestsKeepTheirIDWhenUsable(_ text: String, _ id: JSONValue) {
        #expect(throws: JSONRPC.Failure.self) { try classify(text) }
        do {
            _ = try classify(text)
        } catch {
            #expect(error.code == JSONRPC.invalidRequest)
            #expect(error.id == id)
        }
    }

    @Test func integersStayIntegers() throws {
        let value = try JSONValue.parse(Array(#"{"a":1,"b":1.5,"c":true,"d":null,"e":"x","f":[1]}"#.utf8))
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(1.5))
        #expect(value["c"] == .bool(true))
        #expect(value["d"] == .null)
        #expect(value.serializedString == #"{"a":1,"b":1.5,"c":true,"d":null,"e":"x","f":[1]}"#)
    }

    @Test func garbageDoesNotParse() {
        for text in ["", "{", "{\"a\":}", "nul", "[1 2]"] {
            #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
        }
    }

    @Test func headerValuesDecode() {
        #expect(MCPProtocol.decodeHeaderValue("echo") == "echo")
        #expect(MCPProtocol.decodeHeaderValue("=?base64?aMOpbGxv?=") == "héllo")
        #expect(MCPProtocol.decodeHeaderValue("=?base64?***?=") == nil)
    }

    @Test func sseFramesSplitLines() {
        #expect(ServerSentEvents.event(data: "a\nb", event: "message") == "event: message\ndata: a\ndata: b\n\n")
    }
}
