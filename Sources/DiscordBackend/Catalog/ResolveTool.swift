import MCPCore

/// `resolve`: names to ids within a server, with close matches when nothing matches exactly.
enum ResolveTool {
    static let tool = DiscordTool(
        "resolve", title: "Find ids by name", effect: .read,
        description:
            "Turns names into ids within a server: #channel, @member, or a role name (kind picks one; by default all are tried). Suggests close matches when nothing matches exactly.",
        properties: [
            "guild": InputSchema.guild, "name": InputSchema.string("What to look up, e.g. #support, @Luis, Moderator."),
            "kind": InputSchema.string("What it names.", choices: ["channel", "member", "role", "any"]),
        ],
        required: ["name"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let name = try arguments.requiredString("name")
        var kind = try arguments.choice("kind", ["channel", "member", "role", "any"]) ?? "any"
        if kind == "any" && name.hasPrefix("#") { kind = "channel" }
        var matches: [JSONValue] = []
        var misses: [String] = []
        func attempt(_ kind: String, _ lookup: () async throws(ToolFailure) -> Resolved) async {
            do {
                let found = try await lookup()
                matches.append(["kind": .string(kind), "id": .string(found.id), "name": .string(found.name)])
            } catch {
                misses.append(error.description)
            }
        }
        if kind == "channel" || kind == "any" {
            await attempt("channel") { () throws(ToolFailure) in try await context.channel(name, in: arguments) }
        }
        if kind == "role" || kind == "any" {
            await attempt("role") { () throws(ToolFailure) in try await context.role(name, guild: guild.id) }
        }
        if kind == "member" || kind == "any" {
            await attempt("member") { () throws(ToolFailure) in try await context.member(name, guild: guild.id) }
        }
        guard !matches.isEmpty else {
            throw ToolFailure(misses.joined(separator: "; "))
        }
        let lines = matches.map {
            "\($0["kind"]?.stringValue ?? "?") \($0["name"]?.stringValue ?? "?"): \($0["id"]?.stringValue ?? "?")"
        }
        return .done(ToolOutput(lines.joined(separator: "\n"), ["matches": .array(matches)]))
    }
}
