import Foundation

/// An `application/x-www-form-urlencoded` body, with the RFC 6749 §3.1 rule that no parameter repeats.
public struct FormBody: Sendable {
    public private(set) var values: [String: String] = [:]
    public private(set) var repeated: Set<String> = []
    /// Every value of each name, in order: for fields a form may repeat (checkboxes).
    public private(set) var lists: [String: [String]] = [:]

    public init(_ text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), !name.isEmpty else { continue }
            let value = parts.count > 1 ? (Self.decode(parts[1]) ?? "") : ""
            if values[name] != nil { repeated.insert(name) }
            values[name] = value
            lists[name, default: []].append(value)
        }
    }

    /// The parameter's value; an empty value counts as absent (RFC 6749 §3.1).
    public subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

extension FormBody {
    /// `pairs` as an `application/x-www-form-urlencoded` body (or query), every byte outside RFC 3986's unreserved
    /// set percent-encoded, so `+`, `&` and `=` in a value stay data.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encodeComponent($0.0))=\(encodeComponent($0.1))" }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// One name or value, percent-encoded as `encode` does it.
    public static func encodeComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
