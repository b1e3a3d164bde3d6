import MCPCore

/// The methods the gateway answers itself. Until backends are attached its catalog is empty,
/// but every list method, lookup and error already behaves as the protocol requires.
public struct GatewayMethods: Sendable {
    let identity: MCPServerIdentity

    public init(identity: MCPServerIdentity) {
        self.identity = identity
    }

    /// Results that clients may cache, so they carry `ttlMs` and `cacheScope` in the modern era.
    static let cacheableMethods: Set<String> = [
        "server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read",
    ]

    var capabilities: JSONValue {
        [
            "tools": ["listChanged": false], "prompts": ["listChanged": false],
            "resources": ["listChanged": false, "subscribe": false],
        ]
    }

    /// Lists are recomputed on every request; clients should not hold them long.
    var listTTLMilliseconds: Int64 { 0 }

    public func answer(method: String, params: JSONValue?, era: ProtocolEra) async -> Result<JSONValue, JSONRPC.Failure> {
        switch (method, era) {
        case ("server/discover", .modern):
            return .success(discoverResult)
        case ("ping", .handshake), ("logging/setLevel", .handshake):
            return .success([:])
        case ("tools/list", _):
            return emptyList("tools", params: params)
        case ("prompts/list", _):
            return emptyList("prompts", params: params)
        case ("resources/list", _):
            return emptyList("resources", params: params)
        case ("resources/templates/list", _):
            return emptyList("resourceTemplates", params: params)
        case ("tools/call", _):
            return .failure(
                .init(code: JSONRPC.invalidParams, message: "Unknown tool: \(params?["name"]?.stringValue ?? "(no name)")"))
        case ("prompts/get", _):
            return .failure(
                .init(code: JSONRPC.invalidParams, message: "Unknown prompt: \(params?["name"]?.stringValue ?? "(no name)")"))
        case ("resources/read", _):
            return .failure(
                .init(
                    code: JSONRPC.invalidParams, message: "Resource not found",
                    data: ["uri": params?["uri"] ?? .null]))
        case ("completion/complete", _):
            return .success(["completion": ["values": [], "hasMore": false]])
        default:
            return .failure(.init(code: JSONRPC.methodNotFound, message: "Method not found", data: .string(method)))
        }
    }

    var discoverResult: JSONValue {
        var result: [String: JSONValue] = [
            "supportedVersions": .array(MCPProtocol.supportedVersions.map(JSONValue.string)),
            "capabilities": capabilities,
        ]
        if let instructions = identity.instructions { result["instructions"] = .string(instructions) }
        return .object(result)
    }

    func initializeResult(version: String) -> JSONValue {
        var result: [String: JSONValue] = [
            "protocolVersion": .string(version),
            "capabilities": capabilities,
            "serverInfo": identity.serverInfo,
        ]
        if let instructions = identity.instructions { result["instructions"] = .string(instructions) }
        return .object(result)
    }

    private func emptyList(_ key: String, params: JSONValue?) -> Result<JSONValue, JSONRPC.Failure> {
        if let cursor = params?["cursor"], !cursor.isNull {
            return .failure(.init(code: JSONRPC.invalidParams, message: "Invalid cursor"))
        }
        return .success([key: []])
    }

    /// Adds what every modern result carries: `resultType`, the server's identity, and cache hints on lists.
    func decorateModern(_ result: JSONValue, method: String) -> JSONValue {
        guard case .object(var fields) = result else { return result }
        if fields["resultType"] == nil { fields["resultType"] = "complete" }
        var meta = fields["_meta"]?.objectValue ?? [:]
        meta[MCPProtocol.MetaKey.serverInfo] = identity.serverInfo
        fields["_meta"] = .object(meta)
        if Self.cacheableMethods.contains(method) {
            if fields["ttlMs"] == nil { fields["ttlMs"] = .int(listTTLMilliseconds) }
            // The catalog depends on who asks once backends and policies apply per token.
            if fields["cacheScope"] == nil { fields["cacheScope"] = "private" }
        }
        return .object(fields)
    }
}
