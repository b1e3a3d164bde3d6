import Testing

@testable import MCPCore

@Suite struct RawJSONTests {
    func message(_ text: String) throws -> JSONValue { try JSONValue.parseMessage(Array(text.utf8)) }

    @Test func argumentsAndResultContentPassThroughAsTheirBytes() throws {
        let request = try message(
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{ "z" : [1, "a \" b"], "a":{} }}}"#
        )
        guard case .raw(let arguments)? = request["params"]?["arguments"] else {
            Issue.record("arguments were parsed")
            return
        }
        // Key order and string bytes as sent; whitespace outside strings gone, so a message stays on one line.
        #expect(String(decoding: arguments.bytes, as: UTF8.self) == #"{"z":[1,"a \" b"],"a":{}}"#)
        #expect(request["params"]?["name"] == "echo")
        #expect(request["id"] == 7)
        #expect(request["params"]?["arguments"] == ["a": [:], "z": [1, "a \" b"]])
        #expect(request.serializedString.contains(#""arguments":{"z":[1,"a \" b"],"a":{}}"#))

        let answer = try message(
            #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hi"}],"structuredContent":{"n":1},"isError":false}}"#
        )
        guard case .raw? = answer["result"]?["content"], case .raw? = answer["result"]?["structuredContent"] else {
            Issue.record("the result's content was parsed")
            return
        }
        #expect(answer["result"]?["isError"] == false)
        #expect(answer["result"]?["content"]?.arrayValue?.first?["text"] == "hi")
        #expect(answer["result"]?["structuredContent"]?.objectValue == ["n": 1])
    }

    @Test func onlyObjectsAndArraysInTheNamedPlacesAreKept() throws {
        let scalar = try message(#"{"params":{"arguments":"text"},"result":{"content":null}}"#)
        #expect(scalar["params"]?["arguments"] == "text")
        #expect(scalar["result"]?["content"] == nil || scalar["result"]?["content"]?.isNull == true)
        let deeper = try message(#"{"x":{"params":{"arguments":{"a":1}}}}"#)
        guard case .object? = deeper["x"]?["params"]?["arguments"] else {
            Issue.record("a nested params was spliced")
            return
        }
    }

    @Test func materializedHasNoBytesLeft() throws {
        let value = try message(#"{"params":{"arguments":{"a":[1,{"b":2}]}}}"#).materialized
        guard case .object(let arguments)? = value["params"]?["arguments"] else {
            Issue.record("not materialized")
            return
        }
        #expect(arguments == ["a": [1, ["b": 2]]])
        #expect(Set([value, try message(#"{"params":{"arguments":{"a":[1,{"b":2}]}}}"#)]).count == 1)
    }

    static let badFragments = [
        "01", "-", "1.", "1e", "+1", ".5", "tru", "nulll", "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "\"\u{01}\"", "\"abc",
        "\"\\x\"", "\"\\u12\"", "{\"a\" 1}", "1e999", "[", "{}{}", "NaN", "[1e400]", "{\"a\":}", "[,]",
    ]

    @Test(arguments: badFragments)
    func whatTheParserRejectsIsRejectedWhenKeptAsBytes(_ fragment: String) {
        let text = #"{"params":{"arguments":[\#(fragment)]}}"#
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
        #expect(throws: (any Error).self) { try message(text) }
    }

    @Test(
        arguments: [
            [0xC3, 0x28], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80],
            [0xE2, 0x82], [0x80], [0xFF],
        ] as [[UInt8]])
    func invalidUTF8IsRejectedWhenKeptAsBytes(_ sequence: [UInt8]) {
        let bytes = Array(#"{"params":{"arguments":[""#.utf8) + sequence + Array(#""]}}"#.utf8)
        #expect(throws: (any Error).self) { try JSONValue.parse(bytes) }
        #expect(throws: (any Error).self) { try JSONValue.parseMessage(bytes) }
    }

    @Test func validUTF8IsKept() throws {
        let text = #"{"params":{"arguments":{"é":"😀 ü 漢"}}}"#
        #expect(try message(text) == JSONValue.parse(Array(text.utf8)))
    }

    @Test func depthCountsThroughTheKeptBytes() {
        // params and arguments are two levels already: 254 more arrays reach the limit, 255 pass it.
        let fine = #"{"params":{"arguments":"# + String(repeating: "[", count: 254) + String(repeating: "]", count: 254) + "}}"
        #expect(throws: Never.self) { try message(fine) }
        let deep = #"{"params":{"arguments":"# + String(repeating: "[", count: 255) + String(repeating: "]", count: 255) + "}}"
        #expect(throws: (any Error).self) { try message(deep) }
    }

    /// Random mutations of a message: kept as bytes or parsed, the same texts are accepted, to equal values.
    @Test func agreesWithTheParserOnMutatedMessages() throws {
        let seed = Array(
            #"{"jsonrpc":"2.0","id":1,"params":{"name":"n","arguments":{"a":[1,-2.5e3,true,null,"x\"\u00e9"],"b":{"c":{}}}},"result":{"content":[{"t":"é"}]}}"#
                .utf8)
        let alphabet = Array(#"{}[]",:\ u0-1eE.+tfn"#.utf8) + [0xC3, 0xA9, 0xFF, 0x0A]
        var generator = SplitMix(seed: 16)
        for _ in 0..<4000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                case 1: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                default: bytes.remove(at: position)
                }
            }
            let parsed = try? JSONValue.parse(bytes)
            let spliced = try? JSONValue.parseMessage(bytes)
            #expect(parsed == spliced, "\(String(decoding: bytes, as: UTF8.self))")
            if let spliced {
                #expect(try JSONValue.parse(spliced.serializedBytes()) == parsed)
            }
        }
    }
}

/// A small seeded generator, so the mutation test is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
