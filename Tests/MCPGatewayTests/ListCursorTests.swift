import Foundation
import MCPCore
import Testing

@testable import MCPGateway

@Suite struct ListCursorTests {
    let items: [JSONValue] = (0..<25).map { ["name": .string(String(format: "tool_%02d", $0))] }

    func name(_ item: JSONValue) -> String { item["name"]?.stringValue ?? "" }

    @Test func pagesCoverEverythingOnce() throws {
        var seen: [String] = []
        var cursor: JSONValue?
        repeat {
            let (page, next) = try ListCursor.page(items, key: name, cursor: cursor, size: 10)
            seen += page.map(name)
            cursor = next.map(JSONValue.string)
        } while cursor != nil
        #expect(seen == items.map(name))
    }

    @Test func aCursorStaysValidWhenItemsComeAndGo() throws {
        let (_, next) = try ListCursor.page(items, key: name, cursor: nil, size: 10)
        let shrunk = items.filter { name($0) != "tool_03" && name($0) != "tool_12" }
        let (page, _) = try ListCursor.page(shrunk, key: name, cursor: next.map(JSONValue.string), size: 5)
        #expect(page.map(name) == ["tool_10", "tool_11", "tool_13", "tool_14", "tool_15"])
    }

    @Test(arguments: ["", "garbage", "bm90IG91cnM", "djI6dG9vbF8wMQ"])
    func foreignCursorsAreInvalidParams(cursor: String) {
        #expect(ListCursor.decode(cursor) == nil)
        #expect(throws: JSONRPC.Failure.self) { try ListCursor.page(items, key: name, cursor: .string(cursor), size: 10) }
    }

    @Test func aCursorAfterAnEmptyNameStartsAtTheBeginning() throws {
        let (page, _) = try ListCursor.page(items, key: name, cursor: .string(ListCursor.encode(after: "")), size: 3)
        #expect(page.map(name) == ["tool_00", "tool_01", "tool_02"])
    }

    @Test func aNonStringCursorIsInvalidParams() {
        #expect(throws: JSONRPC.Failure.self) { try ListCursor.page(items, key: name, cursor: 7, size: 10) }
    }
}

@Suite struct CircuitBreakerTests {
    @Test func opensAfterRepeatedFailuresAndLetsOneTrialThrough() {
        var breaker = CircuitBreaker(failureThreshold: 3, initialCooldown: .seconds(2), maximumCooldown: .seconds(8))
        let start = ContinuousClock.now
        for _ in 0..<2 { breaker.recordFailure(now: start) }
        #expect(breaker.decide(now: start) == .allow)
        breaker.recordFailure(now: start)
        #expect(breaker.isOpen)
        #expect(breaker.decide(now: start + .seconds(1)) == .refuse(retryAfter: .seconds(1)))
        #expect(breaker.decide(now: start + .seconds(2)) == .allow)
        // Only one trial at a time while half-open.
        if case .allow = breaker.decide(now: start + .seconds(2)) { Issue.record("a second trial was let through") }
        breaker.recordFailure(now: start + .seconds(2))
        #expect(breaker.decide(now: start + .seconds(5)) == .refuse(retryAfter: .seconds(1)))
        #expect(breaker.decide(now: start + .seconds(6)) == .allow)
        breaker.recordSuccess()
        #expect(!breaker.isOpen && breaker.decide(now: start + .seconds(6)) == .allow)
    }
}

@Suite struct RequestStateSealTests {
    let seal = RequestStateSeal()

    @Test func opensForTheSameCallerAndTargetOnly() {
        let token = seal.seal(.backend("state-1"), principal: "grant-a", target: "tools/call:x")
        #expect(seal.open(token, principal: "grant-a", target: "tools/call:x") == .backend("state-1"))
        #expect(seal.open(token, principal: "grant-b", target: "tools/call:x") == nil)
        #expect(seal.open(token, principal: "grant-a", target: "tools/call:y") == nil)
        #expect(RequestStateSeal().open(token, principal: "grant-a", target: "tools/call:x") == nil)
    }

    @Test func expiresAndRejectsTampering() {
        let now = Date()
        let token = seal.seal(.parked("id"), principal: nil, target: "t", now: now)
        #expect(seal.open(token, principal: nil, target: "t", now: now.addingTimeInterval(RequestStateSeal.lifetime + 1)) == nil)
        var bytes = Array(token.utf8)
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(seal.open(String(decoding: bytes, as: UTF8.self), principal: nil, target: "t") == nil)
        #expect(seal.open("round-1", principal: nil, target: "t") == nil)
    }
}

@Suite struct ArgumentRedactionTests {
    @Test func secretsAreRedactedAtAnyDepth() {
        let text = ArgumentRedaction.redacted([
            "query": "hello", "api_key": "k1", "nested": ["Password": "p", "list": [["accessToken": "t"]]],
        ])
        #expect(text.contains("hello"))
        #expect(!text.contains("k1") && !text.contains("\"p\"") && !text.contains("\"t\""))
        #expect(text.components(separatedBy: "[redacted]").count == 4)
    }

    @Test func argumentsPassedThroughAsBytesAreRedactedToo() throws {
        let message = try JSONValue.parseMessage(
            Array(#"{"params":{"name":"t","arguments":{"query":"hello","nested":[{"api_key":"k1"}]}}}"#.utf8))
        let arguments = try #require(message["params"]?["arguments"])
        guard case .raw = arguments else {
            Issue.record("the arguments were parsed, not kept as bytes")
            return
        }
        let text = ArgumentRedaction.redacted(arguments)
        #expect(text.contains("hello") && !text.contains("k1") && text.contains("[redacted]"))
    }

    @Test func longArgumentsAreCapped() {
        let text = ArgumentRedaction.redacted(["blob": .string(String(repeating: "x", count: 10_000))])
        #expect(text.utf8.count < 4200 && text.hasSuffix("…[truncated]"))
    }
}

actor MemorySink: AuditSink {
    var events: [AuditEvent] = []
    var failuresLeft = 0
    func failNext(_ count: Int) { failuresLeft = count }
    func append(_ batch: [AuditEvent]) async throws {
        if failuresLeft > 0 {
            failuresLeft -= 1
            throw CancellationError()
        }
        events += batch
    }
}

@Suite struct AuditRecorderTests {
    func event(_ tool: String) -> AuditEvent {
        AuditEvent(time: Date(), clientID: "c", backend: "b", tool: tool, durationMilliseconds: 1, outcome: .ok, arguments: "")
    }

    @Test func argumentsAreRedactedWhenWrittenAndFailedWritesAreRetried() async throws {
        let sink = MemorySink()
        let recorder = AuditRecorder(sink: sink, logger: .init(label: "test"))
        recorder.record(event("one"), arguments: ["query": "q", "token": "t0k"])
        await sink.failNext(1)
        await recorder.flush()
        #expect(await sink.events.isEmpty)
        recorder.record(event("two"))
        await recorder.flush()
        let written = await sink.events
        #expect(written.map(\.tool) == ["one", "two"])
        #expect(written[0].arguments.contains("[redacted]") && !written[0].arguments.contains("t0k"))
    }
}

@Suite struct ArgumentRedactionOfBytesTests {
    static let samples = [
        #"{"query":"hello","api_key":"k1","nested":{"Password":{"deep":[1,2]},"list":[{"accessToken":"t"},"token"]}}"#,
        #"{"a":[],"b":{},"c":[{}],"secret":[{"x":"]}"}],"d":"a\"b","p\u0061ssword":"x","e":-1.5e3,"f":null,"g":true}"#,
        #"{"COOKIE":"c","x-api-key":1,"ok":[true,false,"x,y}"]}"#,
        #"[{"token":"t"},[{"password":"p"}]]"#,
        #"{}"#,
    ]

    @Test(arguments: samples)
    func readsLikeTheRedactionOfTheParsedValue(_ text: String) throws {
        let message = try JSONValue.parseMessage(Array(#"{"params":{"arguments":\#(text)}}"#.utf8))
        let arguments = try #require(message["params"]?["arguments"])
        guard case .raw = arguments else {
            Issue.record("the arguments were parsed, not kept as bytes")
            return
        }
        let fromBytes = ArgumentRedaction.redacted(arguments)
        let fromValue = ArgumentRedaction.redacted(arguments.materialized)
        #expect(try JSONValue.parse(Array(fromBytes.utf8)) == JSONValue.parse(Array(fromValue.utf8)), "\(fromBytes)")
    }

    @Test func largeArgumentsAreCappedLikeParsedOnes() throws {
        let text = #"{"blob":"\#(String(repeating: "x", count: 10_000))","token":"t"}"#
        let arguments = try #require(
            try JSONValue.parseMessage(Array(#"{"params":{"arguments":\#(text)}}"#.utf8))["params"]?["arguments"])
        let redacted = ArgumentRedaction.redacted(arguments)
        #expect(redacted.utf8.count < 4200 && redacted.hasSuffix("…[truncated]"))
        #expect(redacted.hasPrefix(#"{"blob":"xxx"#))
    }
}
