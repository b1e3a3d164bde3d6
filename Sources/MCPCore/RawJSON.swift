/// A JSON object or array the gateway passes on without reading: the bytes as they came (less insignificant
/// whitespace, so a message stays on one line), checked as strictly as the parser checks what it builds.
/// Reading it through `JSONValue`'s accessors parses it then; writing it copies the bytes.
public struct RawJSON: Sendable {
    public let bytes: [UInt8]

    init(validated bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The parsed value; the bytes were validated when captured, so this cannot fail.
    public var value: JSONValue {
        (try? JSONValue.parse(bytes)) ?? .null
    }
}

extension JSONValue {
    /// Parses an MCP message, keeping as bytes the parts the gateway forwards without routing on them: a request's
    /// `params.arguments` and a result's `content` and `structuredContent`. Everything else is parsed as usual.
    public static func parseMessage(_ bytes: some Sequence<UInt8>) throws -> JSONValue {
        var parser = JSONParser(Array(bytes), splicing: messageSplices)
        return try parser.parseDocument()
    }

    static let messageSplices: [String: Set<String>] = [
        "params": ["arguments"],
        "result": ["content", "structuredContent"],
    ]

    /// The same value with every kept-as-bytes part parsed, for code that takes values apart by pattern matching.
    public var materialized: JSONValue {
        switch self {
        case .raw(let raw): raw.value
        case .object(let members): .object(members.mapValues(\.materialized))
        case .array(let items): .array(items.map(\.materialized))
        default: self
        }
    }
}

extension JSONParser {
    /// Validates the object or array at `index` without building it, and returns its bytes.
    mutating func captureRaw() throws(Failure) -> RawJSON {
        let start = index
        var hasWhitespace = false
        try skipContainer(hasWhitespace: &hasWhitespace)
        guard hasWhitespace else { return RawJSON(validated: Array(bytes[start..<index])) }
        return RawJSON(validated: Self.compacted(bytes[start..<index]))
    }

    /// The bytes without whitespace outside strings.
    static func compacted(_ slice: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(slice.count)
        var inString = false
        var escaped = false
        for byte in slice {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                output.append(byte)
            } else if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                continue
            } else {
                if byte == UInt8(ascii: "\"") { inString = true }
                output.append(byte)
            }
        }
        return output
    }

    private mutating func skipWhitespace(noting hasWhitespace: inout Bool) {
        let before = index
        skipWhitespace()
        if index != before { hasWhitespace = true }
    }

    private mutating func skipValue(hasWhitespace: inout Bool) throws(Failure) {
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["): try skipContainer(hasWhitespace: &hasWhitespace)
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw fail("unexpected character")
        }
    }

    private mutating func skipContainer(hasWhitespace: inout Bool) throws(Failure) {
        try enter()
        let isObject = bytes[index] == UInt8(ascii: "{")
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        index += 1
        skipWhitespace(noting: &hasWhitespace)
        if index < bytes.count, bytes[index] == close {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace(noting: &hasWhitespace)
            if isObject {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                try skipString()
                skipWhitespace(noting: &hasWhitespace)
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace(noting: &hasWhitespace)
            }
            try skipValue(hasWhitespace: &hasWhitespace)
            skipWhitespace(noting: &hasWhitespace)
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == close else { throw fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'") }
            index += 1
            depth -= 1
            return
        }
    }

    /// The same checks as `parseString`: escapes, control characters, and well-formed UTF-8.
    private mutating func skipString() throws(Failure) {
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("unexpected end") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"): _ = try parseHex4()
                default: throw fail("unknown escape")
                }
            case 0x00..<0x20:
                throw fail("control character in a string")
            case 0x00..<0x80:
                index += 1
            default:
                try skipUTF8Sequence()
            }
        }
        throw fail("unterminated string")
    }

    /// One multi-byte UTF-8 sequence, rejecting overlong forms, surrogates and values above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(Failure) {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw fail("invalid UTF-8")
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { throw fail("invalid UTF-8") }
        for offset in 2..<max(length, 2) where !(0x80...0xBF).contains(bytes[index + offset]) {
            throw fail("invalid UTF-8")
        }
        index += length
    }

    private mutating func skipNumber() throws(Failure) {
        let start = index
        let isInteger = try scanNumber()
        // Only a fractional or long number can be out of the parser's range.
        if !isInteger || index - start > 18 {
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard Double(text)?.isFinite == true else { throw fail("number out of range") }
        }
    }
}
