/// How the gateway, as a client, opens a conversation with a backend in either era.
public enum BackendNegotiation {
    /// Declared to handshake-era backends on behalf of every client: the gateway relays these requests to clients
    /// that can answer them and refuses them cleanly for clients that cannot.
    public static let relayedCapabilities: JSONValue = ["elicitation": [:], "sampling": [:], "roots": [:]]

    public static func clientInfo(version: String) -> JSONValue {
        ["name": "mcp-gateway", "version": .string(version)]
    }

    /// `params` with the 2026-07-28 envelope keys set (the caller's own `_meta` entries are kept).
    public static func modernParams(_ params: JSONValue, version: String, clientCapabilities: JSONValue, clientInfo: JSONValue)
        -> JSONValue
    {
        var fields = params.objectValue ?? [:]
        var meta = fields["_meta"]?.objectValue ?? [:]
        meta[MCPProtocol.MetaKey.protocolVersion] = .string(version)
        meta[MCPProtocol.MetaKey.clientCapabilities] = clientCapabilities.objectValue == nil ? [:] : clientCapabilities
        meta[MCPProtocol.MetaKey.clientInfo] = clientInfo
        fields["_meta"] = .object(meta)
        return .object(fields)
    }

    public static func initializeParams(capabilities: JSONValue, clientInfo: JSONValue) -> JSONValue {
        [
            "protocolVersion": .string(MCPProtocol.latestHandshakeVersion),
            "capabilities": capabilities,
            "clientInfo": clientInfo,
        ]
    }

    /// The description a `server/discover` result gives, or nil when it names no modern version the gateway speaks
    /// (the caller then falls back to `initialize`).
    public static func description(fromDiscover result: JSONValue) -> BackendDescription? {
        guard let versions = result["supportedVersions"]?.arrayValue?.compactMap(\.stringValue),
            let version = MCPProtocol.modernVersions.last(where: versions.contains)
        else { return nil }
        return BackendDescription(
            era: .modern(version: version),
            serverInfo: result["_meta"]?[MCPProtocol.MetaKey.serverInfo] ?? result["serverInfo"],
            capabilities: result["capabilities"]?.objectValue.map(JSONValue.object) ?? [:],
            instructions: result["instructions"]?.stringValue)
    }

    public static func description(fromInitialize result: JSONValue) throws(BackendError) -> BackendDescription {
        guard let version = result["protocolVersion"]?.stringValue else {
            throw .protocolViolation("the initialize result has no protocolVersion")
        }
        guard MCPProtocol.handshakeVersions.contains(version) else {
            throw .protocolViolation("the backend chose protocol version \(version), which the gateway does not speak")
        }
        return BackendDescription(
            era: .handshake(version: version), serverInfo: result["serverInfo"],
            capabilities: result["capabilities"]?.objectValue.map(JSONValue.object) ?? [:],
            instructions: result["instructions"]?.stringValue)
    }

    /// `params` with the progress token replaced, for transports where many clients share one channel.
    public static func replacingProgressToken(in params: JSONValue, with token: JSONValue?) -> JSONValue {
        guard case .object(var fields) = params else { return params }
        var meta = fields["_meta"]?.objectValue ?? [:]
        meta["progressToken"] = token
        fields["_meta"] = meta.isEmpty ? nil : .object(meta)
        return .object(fields)
    }
}
