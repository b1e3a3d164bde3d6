import MCPCore

/// How the gateway presents itself to MCP clients.
public struct MCPServerIdentity: Sendable {
    public var name: String
    public var version: String
    public var instructions: String?

    public init(name: String = "mcp-gateway", version: String, instructions: String? = nil) {
        self.name = name
        self.version = version
        self.instructions = instructions
    }

    var serverInfo: JSONValue { ["name": .string(name), "version": .string(version)] }
}
