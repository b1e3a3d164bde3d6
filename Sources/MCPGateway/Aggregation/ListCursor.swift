import Foundation
import MCPCore

/// The opaque cursor of a merged list: the last name of the page before, so paging stays stable when
/// backends come and go between pages.
enum ListCursor {
    static let version = "v1:"

    static func encode(after name: String) -> String {
        Data((version + name).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> String? {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8), decoded.hasPrefix(version)
        else { return nil }
        return String(decoded.dropFirst(version.count))
    }

    /// One page of `items` (sorted by `key`) after `cursor`; throws -32602 for a cursor this gateway did not make.
    static func page(_ items: [JSONValue], key: (JSONValue) -> String, cursor: JSONValue?, size: Int) throws(JSONRPC.Failure) -> (
        [JSONValue], String?
    ) {
        var start = 0
        if let cursor, !cursor.isNull {
            guard let text = cursor.stringValue, let after = decode(text) else {
                throw JSONRPC.Failure(code: JSONRPC.invalidParams, message: "Invalid cursor")
            }
            start = items.firstIndex { key($0) > after } ?? items.count
        }
        let end = min(start + size, items.count)
        let page = Array(items[start..<end])
        let next = end < items.count ? page.last.map { encode(after: key($0)) } : nil
        return (page, next)
    }
}
