/// Writes `JSONValue` as compact JSON with sorted keys, so equal values always serialize to equal bytes.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .int(let number): append(String(number))
        case .double(let number):
            // JSON has no infinities or NaN; the parser never produces them, but a caller could.
            if number.isFinite { append(String(number)) } else { append("null") }
        case .string(let text): writeString(text)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (position, key) in members.keys.sorted().enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(key)
                bytes.append(UInt8(ascii: ":"))
                write(members[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        case .raw(let raw): bytes.append(contentsOf: raw.bytes)
        }
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x00..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// Indented JSON with sorted keys, for people to read.
    public var prettyPrinted: String {
        var output = ""
        writePretty(into: &output, indent: "")
        return output
    }

    private func writePretty(into output: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .raw(let raw):
            raw.value.writePretty(into: &output, indent: indent)
        case .array(let items) where !items.isEmpty:
            output += "[\n"
            for (position, item) in items.enumerated() {
                output += inner
                item.writePretty(into: &output, indent: inner)
                output += position < items.count - 1 ? ",\n" : "\n"
            }
            output += indent + "]"
        case .object(let members) where !members.isEmpty:
            output += "{\n"
            let keys = members.keys.sorted()
            for (position, key) in keys.enumerated() {
                output += inner + JSONValue.string(key).serializedString + ": "
                members[key]!.writePretty(into: &output, indent: inner)
                output += position < keys.count - 1 ? ",\n" : "\n"
            }
            output += indent + "}"
        default:
            output += serializedString
        }
    }
}
