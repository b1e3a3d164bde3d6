import Testing

@testable import MCPCore

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func escapesAndUnicode() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(try parse(#""\ud800x""#) == .string("\u{FFFD}x"))
        #expect(try parse(" \n[ 1 , -2.5e3 , true , null , {} , [] ] \r\n") == [1, .double(-2500), true, nil, [:], []])
    }

    @Test func numbers() throws {
        #expect(try parse("0") == .int(0))
        #expect(try parse("-9223372036854775808") == .int(.min))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse("1E2") == .double(100))
    }

    @Test(arguments: [
        "", " ", "01", "-", "1.", "1e", "+1", ".5", "tru", "nulll", "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "\"\u{01}\"",
        "\"abc", "\"\\x\"", "\"\\u12\"", "{\"a\" 1}", "1e999", "[", "]", "{}{}", "NaN",
    ])
    func rejected(_ text: String) {
        #expect(throws: (any Error).self) { try parse(text) }
    }

    @Test func invalidUTF8IsRejected() {
        #expect(throws: (any Error).self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func depthIsLimited() throws {
        let fine = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(throws: Never.self) { try parse(fine) }
        let deep = String(repeating: "[", count: 257) + String(repeating: "]", count: 257)
        #expect(throws: (any Error).self) { try parse(deep) }
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: (any Error).self) { try parse(hostile) }
    }

    @Test func writerRoundTrips() throws {
        let value: JSONValue = ["b": ["x\u{01}\"\\/é", .double(1.5), -3, nil, false], "a": [:]]
        let text = value.serializedString
        #expect(text == #"{"a":{},"b":["x\u0001\"\\/é",1.5,-3,null,false]}"#)
        #expect(try parse(text) == value)
    }
}
