import Foundation
import MCPCore

enum ReactionAndPinTools {
    static let all: [DiscordTool] = [addReaction, removeReaction, listReactions, listPins, pinMessage, unpinMessage]

    static let messageProperties: KeyValuePairs<String, JSONValue> = [
        "channel": InputSchema.channel, "guild": InputSchema.guild, "message_id": InputSchema.messageID,
    ]

    /// An emoji as it goes in a reaction path: unicode percent-encoded, custom as `name:id`.
    static func emojiPath(_ arguments: ToolArguments) throws(ToolFailure) -> (path: String, label: String) {
        var emoji = try arguments.requiredString("emoji")
        if emoji.hasPrefix("<") && emoji.hasSuffix(">") {
            emoji = String(emoji.dropFirst().dropLast())
        }
        if emoji.hasPrefix("a:") { emoji = String(emoji.dropFirst(2)) }
        if emoji.hasPrefix(":") { emoji = String(emoji.dropFirst()) }
        guard emoji.count <= 100, !emoji.contains("/") else { throw ToolFailure("emoji must be an emoji like 👍 or name:id") }
        let encoded =
            emoji.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ":_-"))) ?? emoji
        return (encoded, emoji)
    }

    static let addReaction = DiscordTool(
        "add_reaction", title: "React to message", effect: .write, idempotent: true,
        description: "Adds the bot's reaction to a message.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild, "message_id": InputSchema.messageID,
            "emoji": InputSchema.emoji,
        ],
        required: ["channel", "message_id", "emoji"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let id = try arguments.requiredSnowflake("message_id")
        let emoji = try emojiPath(arguments)
        return .planned(
            PlannedWrite("react with \(emoji.label) to message \(id) in \(channel.label)") { () throws(ToolFailure) in
                let response = try await context.write(
                    "PUT", "/channels/\(channel.id)/messages/\(id)/reactions/\(emoji.path)/@me", action: "add a reaction")
                return ToolOutput(
                    "Reacted with \(emoji.label) to message \(id).", ["message_id": .string(id), "emoji": .string(emoji.label)],
                    discordStatus: response.status)
            })
    }

    static let removeReaction = DiscordTool(
        "remove_reaction", title: "Remove reaction", effect: .write, idempotent: true,
        description: "Removes the bot's reaction from a message, or a member's when member is given.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild, "message_id": InputSchema.messageID,
            "emoji": InputSchema.emoji, "member": InputSchema.member,
        ],
        required: ["channel", "message_id", "emoji"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let id = try arguments.requiredSnowflake("message_id")
        let emoji = try emojiPath(arguments)
        var owner = ("@me", "the bot's")
        if let reference = try arguments.string("member") {
            guard let guild = channel.guildID else { throw ToolFailure("member only applies in a server channel") }
            let member = try await context.member(reference, guild: guild)
            owner = (member.id, "\(member.label)'s")
        }
        let (whose, label) = owner
        return .planned(
            PlannedWrite("remove \(label) \(emoji.label) reaction from message \(id) in \(channel.label)") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "DELETE", "/channels/\(channel.id)/messages/\(id)/reactions/\(emoji.path)/\(whose)",
                    action: "remove a reaction")
                return ToolOutput(
                    "Removed \(label) \(emoji.label) reaction.", ["message_id": .string(id), "emoji": .string(emoji.label)],
                    discordStatus: response.status)
            })
    }

    static let listReactions = DiscordTool(
        "list_reactions", title: "List reactions", effect: .read,
        description: "Lists who reacted to a message with one emoji.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild, "message_id": InputSchema.messageID,
            "emoji": InputSchema.emoji, "limit": InputSchema.integer("How many (default 25).", range: 1...100),
        ],
        required: ["channel", "message_id", "emoji"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let id = try arguments.requiredSnowflake("message_id")
        let emoji = try emojiPath(arguments)
        let limit = try arguments.int("limit", in: 1...100) ?? 25
        let users =
            try await context.get(
                "/channels/\(channel.id)/messages/\(id)/reactions/\(emoji.path)", query: [("limit", String(limit))],
                action: "list reactions"
            ).arrayValue ?? []
        let lines = users.map { "\(DiscordFormat.userName($0)) (id \($0["id"]?.stringValue ?? "?"))" }
        return .done(
            ToolOutput(
                DiscordFormat.list("Reacted with \(emoji.label)", lines, empty: "No one reacted with \(emoji.label)."),
                ["users": .array(users)]))
    }

    static let listPins = DiscordTool(
        "list_pins", title: "List pinned messages", effect: .read,
        description: "Lists a channel's pinned messages, most recently pinned first.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "limit": InputSchema.integer("How many (default 50).", range: 1...50),
        ],
        required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let limit = try arguments.int("limit", in: 1...50) ?? 50
        let pins = try await context.get(
            "/channels/\(channel.id)/messages/pins", query: [("limit", String(limit))], action: "list pins in \(channel.label)")
        let messages = (pins["items"]?.arrayValue ?? []).compactMap { $0["message"] }
        return .done(
            ToolOutput(
                DiscordFormat.list(
                    "Pinned in \(channel.label)", messages.map(DiscordFormat.message),
                    empty: "Nothing is pinned in \(channel.label)."),
                ["messages": .array(messages), "has_more": pins["has_more"] ?? false]))
    }

    static let pinMessage = pinning(pin: true)
    static let unpinMessage = pinning(pin: false)

    static func pinning(pin: Bool) -> DiscordTool {
        DiscordTool(
            pin ? "pin_message" : "unpin_message", title: pin ? "Pin message" : "Unpin message", effect: .write,
            idempotent: true,
            description: pin
                ? "Pins a message in its channel (at most 250 pins per channel)." : "Unpins a message; it stays in the channel.",
            properties: messageProperties, required: ["channel", "message_id"]
        ) { arguments, context throws(ToolFailure) in
            let channel = try await context.channel(arguments)
            let id = try arguments.requiredSnowflake("message_id")
            let verb = pin ? "pin" : "unpin"
            return .planned(
                PlannedWrite("\(verb) message \(id) in \(channel.label)") { () throws(ToolFailure) in
                    let response = try await context.write(
                        pin ? "PUT" : "DELETE", "/channels/\(channel.id)/messages/pins/\(id)", action: "\(verb) message \(id)")
                    return ToolOutput(
                        "\(pin ? "Pinned" : "Unpinned") message \(id) in \(channel.label).",
                        ["message_id": .string(id), "pinned": .bool(pin)],
                        discordStatus: response.status)
                })
        }
    }
}
