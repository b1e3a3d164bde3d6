import MCPCore

/// The parts of a message a tool sends: content, embeds, and mentions kept from pinging everyone.
enum MessageBody {
    /// Content and embeds from the arguments, checked against Discord's limits; at least one of them.
    static func make(_ arguments: ToolArguments, contentKey: String = "content") throws(ToolFailure) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        if let content = try arguments.string(contentKey) {
            do throws(DiscordLimits.Violation) {
                try DiscordLimits.checkContent(content)
            } catch {
                throw ToolFailure(error)
            }
            if !content.isEmpty { body["content"] = .string(content) }
        }
        if let embeds = try arguments.list("embeds"), !embeds.isEmpty {
            guard embeds.count <= 10 else { throw ToolFailure("a message has at most 10 embeds, not \(embeds.count)") }
            guard embeds.allSatisfy({ $0.objectValue != nil }) else { throw ToolFailure("each embed must be an object") }
            body["embeds"] = .array(embeds)
        }
        guard !body.isEmpty else { throw ToolFailure("give \(contentKey) or embeds") }
        // A model's message never pings @everyone or @here; users and roles it names still are.
        body["allowed_mentions"] = ["parse": ["users", "roles"]]
        return body
    }

    /// "“first words…”" for plans.
    static func preview(_ body: [String: JSONValue]) -> String {
        if let content = body["content"]?.stringValue {
            return "\"\(content.prefix(80))\(content.count > 80 ? "…" : "")\""
        }
        return "\(body["embeds"]?.arrayValue?.count ?? 0) embed(s)"
    }
}
