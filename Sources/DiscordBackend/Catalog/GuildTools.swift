import MCPCore

enum GuildTools {
    static let all: [DiscordTool] = [listGuilds, getGuild]

    static let listGuilds = DiscordTool(
        "list_guilds", title: "List servers", effect: .read,
        description: "Lists the Discord servers (guilds) the bot is in and may use, with ids and member counts."
    ) { _, context throws(ToolFailure) in
        let guilds = try await context.visibleGuilds()
        let lines = guilds.map { guild in
            "\(guild["name"]?.stringValue ?? "?") (id \(guild["id"]?.stringValue ?? "?"), about \(DiscordFormat.int(guild["approximate_member_count"]) ?? 0) members)"
        }
        return .done(
            ToolOutput(
                DiscordFormat.list("Servers", lines, empty: "The bot is in no server it may use."),
                ["guilds": .array(guilds)]))
    }

    static let getGuild = DiscordTool(
        "get_guild", title: "Get server", effect: .read,
        description: "Shows a server's details: name, owner, member and online counts, features, boost level.",
        properties: ["guild": InputSchema.guild]
    ) { arguments, context throws(ToolFailure) in
        let reference = try await context.guild(arguments)
        let guild = try await context.get(
            "/guilds/\(reference.id)", query: [("with_counts", "true")], action: "get server \(reference.id)")
        var lines = [
            "\(guild["name"]?.stringValue ?? "?") (id \(reference.id))",
            "Owner: \(guild["owner_id"]?.stringValue ?? "?")",
            "Members: about \(DiscordFormat.int(guild["approximate_member_count"]) ?? 0), \(DiscordFormat.int(guild["approximate_presence_count"]) ?? 0) online",
            "Boost level: \(DiscordFormat.int(guild["premium_tier"]) ?? 0)",
        ]
        if let description = guild["description"]?.stringValue { lines.append("Description: \(description)") }
        let features = (guild["features"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !features.isEmpty { lines.append("Features: \(features.joined(separator: ", "))") }
        var structured = guild.objectValue ?? [:]
        // Roles and emojis have their own tools; the guild object would otherwise be huge.
        structured["roles"] = nil
        structured["emojis"] = nil
        structured["stickers"] = nil
        return .done(ToolOutput(lines.joined(separator: "\n"), ["guild": .object(structured)]))
    }
}
