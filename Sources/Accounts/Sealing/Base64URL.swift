import Foundation

/// The base64 forms the sealing code reads and writes.
enum Base64URL {
    /// base64url without padding (RFC 4648 §5): safe in URLs, JSON and SQL text without escaping.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Strict inverse of `encode`: only the url-safe alphabet, no padding, no whitespace, and no
    /// length that `encode` cannot produce. A sealed value that differs from what we wrote is damaged.
    static func decodeStrict(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy(isURLAlphabet), text.utf8.count % 4 != 1 else { return nil }
        return decode(standardizing: text)
    }

    /// Standard or url-safe alphabet, with or without trailing padding: for keys that people paste.
    static func decodeLenient(_ text: String) -> [UInt8]? {
        var body = Substring(text)
        while body.hasSuffix("=") { body.removeLast() }
        guard text.utf8.count - body.utf8.count <= 2 else { return nil }
        guard body.utf8.allSatisfy({ isURLAlphabet($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") }),
            body.utf8.count % 4 != 1
        else { return nil }
        return decode(standardizing: String(body))
    }

    private static func decode(standardizing text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }

    private static func isURLAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
