import HTTPTypes
import MCPCore

/// The checks every 2026-07-28 request passes before dispatch, in the order the reference SDK applies them.
enum ModernEnvelope {
    /// Returns the request's protocol version, or the JSON-RPC error to answer with.
    static func validate(method: String, params: JSONValue?, headers: HTTPFields, id: JSONValue) throws(JSONRPC.Failure) -> String
    {
        for name in [HTTPField.Name.mcpProtocolVersion, .mcpMethod, .mcpName] where headers[values: name].count > 1 {
            throw .init(
                code: MCPProtocol.ErrorCode.headerMismatch, message: "\(name.canonicalName) header appears more than once", id: id
            )
        }
        guard case .object(let meta)? = params?["_meta"] else {
            throw .init(
                code: JSONRPC.invalidParams,
                message:
                    "params._meta must be an object carrying the required '\(MCPProtocol.MetaKey.protocolVersion)' and '\(MCPProtocol.MetaKey.clientCapabilities)' envelope keys",
                id: id)
        }
        let missing = [MCPProtocol.MetaKey.protocolVersion, MCPProtocol.MetaKey.clientCapabilities].filter { meta[$0] == nil }
        if !missing.isEmpty {
            throw .init(
                code: JSONRPC.invalidParams,
                message: "params._meta is missing the required envelope key(s): \(missing.joined(separator: ", "))", id: id)
        }
        guard case .string(let version)? = meta[MCPProtocol.MetaKey.protocolVersion] else {
            throw .init(code: JSONRPC.invalidParams, message: "the protocol-version envelope value must be a string", id: id)
        }
        guard meta[MCPProtocol.MetaKey.clientCapabilities]?.objectValue != nil else {
            throw .init(code: JSONRPC.invalidParams, message: "the client-capabilities envelope value must be an object", id: id)
        }
        guard headers[.mcpProtocolVersion] == version else {
            throw .init(
                code: MCPProtocol.ErrorCode.headerMismatch,
                message: headers[.mcpProtocolVersion] == nil
                    ? "the MCP-Protocol-Version header is missing; it must repeat the envelope's protocol version"
                    : "MCP-Protocol-Version header does not match the request envelope's protocol version", id: id)
        }
        guard headers[.mcpMethod] == method else {
            throw .init(
                code: MCPProtocol.ErrorCode.headerMismatch,
                message: headers[.mcpMethod] == nil
                    ? "the Mcp-Method header is missing; it must repeat the request body's method (\(method))"
                    : "Mcp-Method header does not match the request body's method", id: id)
        }
        if let parameter = MCPProtocol.nameParameter(of: method), let bodyValue = params?[parameter]?.stringValue {
            let headerValue = headers[.mcpName].flatMap(MCPProtocol.decodeHeaderValue)
            guard headerValue == bodyValue else {
                throw .init(
                    code: MCPProtocol.ErrorCode.headerMismatch,
                    message: headers[.mcpName] == nil
                        ? "the Mcp-Name header is missing; it must repeat the request body's '\(parameter)' parameter"
                        : "Mcp-Name header does not match the request body's '\(parameter)' parameter", id: id)
            }
        }
        guard MCPProtocol.modernVersions.contains(version) else {
            throw .init(
                code: MCPProtocol.ErrorCode.unsupportedProtocolVersion, message: "Unsupported protocol version",
                data: [
                    "supported": .array(MCPProtocol.supportedVersions.map(JSONValue.string)),
                    "requested": .string(version),
                ],
                id: id)
        }
        return version
    }
}
