import MCPCore

/// `Mcp-Param-<Name>` headers: a tool's `inputSchema` marks arguments with `x-mcp-header`, and modern requests
/// repeat those arguments in headers so that proxies can route on them.
enum ParameterHeaders {
    /// Header name (without the `Mcp-Param-` prefix) → value, for the marked arguments that are present.
    static func values(schema: JSONValue?, arguments: JSONValue?) -> [String: String] {
        guard case .object(let properties)? = schema?["properties"] else { return [:] }
        var headers: [String: String] = [:]
        // Arguments passed through as bytes are parsed here once, and only for a tool that marks some.
        lazy var fields = arguments?.objectValue
        for (argument, property) in properties {
            guard let header = property["x-mcp-header"]?.stringValue, let value = fields?[argument] else { continue }
            switch value {
            case .string(let text): headers[header] = MCPProtocol.encodeHeaderValue(text)
            case .int, .double, .bool: headers[header] = value.serializedString
            default: continue
            }
        }
        return headers
    }
}
