import MCPCore

extension ArgumentRedaction {
    /// The redaction of arguments passed through as bytes, read off the bytes: it stops once the text passes the
    /// cap, so a large argument costs what the audit trail keeps rather than a parse and a rewrite of all of it.
    /// `bytes` is compact, validated JSON (`RawJSON`); keys keep the order they came in.
    static func redacted(compactBytes bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(min(bytes.count, maximumLength) + 16)
        var inObject: [Bool] = []
        var expectingKey = false
        var index = 0
        while index < bytes.count, output.count <= maximumLength {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                inObject.append(byte == UInt8(ascii: "{"))
                expectingKey = byte == UInt8(ascii: "{")
                output.append(byte)
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = inObject.popLast()
                expectingKey = false
                output.append(byte)
                index += 1
            case UInt8(ascii: ","):
                expectingKey = inObject.last == true
                output.append(byte)
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                index = stringEnd(bytes, from: start)
                output.append(contentsOf: bytes[start..<index])
                guard expectingKey else { continue }
                expectingKey = false
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { continue }
                output.append(UInt8(ascii: ":"))
                index += 1
                if isSecretKey(utf8: decodedKey(bytes[start..<index - 1])) {
                    output.append(contentsOf: redactedMarker.serializedBytes())
                    index = valueEnd(bytes, from: index)
                }
            default:
                output.append(byte)
                index += 1
            }
        }
        guard index < bytes.count || output.count > maximumLength else { return String(decoding: output, as: UTF8.self) }
        return String(decoding: output.prefix(maximumLength), as: UTF8.self) + "…[truncated]"
    }

    /// The index after the string that opens at `start`.
    private static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        return min(index + 1, bytes.count)
    }

    /// The index after the value that starts at `start`.
    private static func valueEnd(_ bytes: [UInt8], from start: Int) -> Int {
        guard start < bytes.count else { return start }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return stringEnd(bytes, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index = stringEnd(bytes, from: index)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default: break
                }
                index += 1
            }
            return index
        default:
            var index = start
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[index]) {
                index += 1
            }
            return index
        }
    }

    /// A quoted key's text; one with escapes is decoded so that `"p\u0061ssword"` is read as what it says.
    private static func decodedKey(_ quoted: ArraySlice<UInt8>) -> [UInt8] {
        guard quoted.contains(UInt8(ascii: "\\")) else { return Array(quoted.dropFirst().dropLast()) }
        return (try? JSONValue.parse(quoted))?.stringValue.map { Array($0.utf8) } ?? Array(quoted)
    }
}
