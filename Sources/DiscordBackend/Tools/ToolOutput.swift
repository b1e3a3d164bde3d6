import MCPCore

/// What a tool answers: text a person can read, the same as `structuredContent`, and Discord's status.
struct ToolOutput: Sendable {
    var text: String
    var structured: [String: JSONValue]
    /// The HTTP status of the request that did the work, for the audit trail.
    var discordStatus: Int?

    init(_ text: String, _ structured: [String: JSONValue] = [:], discordStatus: Int? = nil) {
        self.text = text
        self.structured = structured
        self.discordStatus = discordStatus
    }

    /// The MCP `tools/call` result, with webhook secrets removed from the structured part.
    func result(isError: Bool = false) -> JSONValue {
        var result: [String: JSONValue] = [
            "content": [["type": "text", "text": .string(text)]],
            "structuredContent": DiscordSecrets.scrub(.object(structured)),
            "isError": .bool(isError),
        ]
        if let discordStatus {
            result["_meta"] = [MCPProtocol.MetaKey.upstreamStatus: .int(Int64(discordStatus))]
        }
        return .object(result)
    }
}
