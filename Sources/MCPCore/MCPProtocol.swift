/// Protocol revisions, `_meta` keys, header names and error codes of MCP, both eras.
public enum MCPProtocol {
    /// The stateless revision: per-request `_meta` envelope, `server/discover`, no sessions.
    public static let modernVersions = ["2026-07-28"]
    /// Revisions reached through the `initialize` handshake, oldest first.
    public static let handshakeVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    public static var latestHandshakeVersion: String { handshakeVersions[handshakeVersions.count - 1] }
    public static var latestModernVersion: String { modernVersions[modernVersions.count - 1] }
    public static var supportedVersions: [String] { handshakeVersions + modernVersions }
    /// A handshake-era request without `MCP-Protocol-Version` is taken to speak this one.
    public static let defaultHeaderlessVersion = "2025-03-26"

    public enum MetaKey {
        public static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
        public static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
        public static let clientInfo = "io.modelcontextprotocol/clientInfo"
        public static let serverInfo = "io.modelcontextprotocol/serverInfo"
        public static let subscriptionID = "io.modelcontextprotocol/subscriptionId"
        /// The gateway's own: the HTTP status of the upstream request a built-in backend's tool made, for the audit trail.
        public static let upstreamStatus = "io.github.mcp-gateway/upstream-status"
    }

    public enum Header {
        public static let protocolVersion = "MCP-Protocol-Version"
        public static let sessionID = "Mcp-Session-Id"
        public static let method = "Mcp-Method"
        public static let name = "Mcp-Name"
        public static let paramPrefix = "Mcp-Param-"
        public static let lastEventID = "Last-Event-ID"
    }

    public enum ErrorCode {
        /// A routing header is missing or disagrees with the body.
        public static let headerMismatch = -32020
        /// The request needs a client capability the client did not declare.
        public static let missingClientCapability = -32021
        public static let unsupportedProtocolVersion = -32022
    }

    /// Methods whose `params` name a tool, prompt or resource, which `Mcp-Name` must repeat.
    public static func nameParameter(of method: String) -> String? {
        switch method {
        case "tools/call", "prompts/get": "name"
        case "resources/read": "uri"
        default: nil
        }
    }

    /// Decodes a header value that may use the `=?base64?…?=` form for non-ASCII text.
    public static func decodeHeaderValue(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.count >= 11 else { return value }
        let payload = value.dropFirst(9).dropLast(2)
        guard let data = Base64.decode(String(payload)) else { return nil }
        return String(validating: data, as: UTF8.self)
    }
}

/// Standard base64 decoding without Foundation, tolerant of missing padding.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - 71)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte + 4)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "/"), UInt8(ascii: "_"): values.append(63)
            case UInt8(ascii: "="): continue
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            let a = chunk[chunk.startIndex], b = chunk[chunk.startIndex + 1]
            output.append(a << 2 | b >> 4)
            if chunk.count > 2 {
                let c = chunk[chunk.startIndex + 2]
                output.append((b & 0x0F) << 4 | c >> 2)
                if chunk.count > 3 { output.append((c & 0x03) << 6 | chunk[chunk.startIndex + 3]) }
            }
            index += 4
        }
        return output
    }
}

extension MCPProtocol {
    /// Encodes a header value, using `=?base64?…?=` when it is not plain printable ASCII.
    public static func encodeHeaderValue(_ value: String) -> String {
        let plain =
            value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } && value.first != " " && value.last != " "
            && !value.hasPrefix("=?")
        if plain { return value }
        return "=?base64?" + Base64.encode(Array(value.utf8)) + "?="
    }
}

extension Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let a = bytes[index]
            let b = index + 1 < bytes.count ? bytes[index + 1] : 0
            let c = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(alphabet[Int(a >> 2)])
            output.append(alphabet[Int((a & 0x03) << 4 | b >> 4)])
            output.append(index + 1 < bytes.count ? alphabet[Int((b & 0x0F) << 2 | c >> 6)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(c & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
