import Foundation
import MCPCore

enum MessageTools {
    static let all: [DiscordTool] = [
        readMessages, getMessage, sendMessage, editMessage, deleteMessage, bulkDeleteMessages, SearchMessages.tool,
    ]

    static let readMessages = DiscordTool(
        "read_messages", title: "Read messages", effect: .read,
        description:
            "Reads a channel's messages, newest first: up to 100, before, after or around a message id.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "limit": InputSchema.integer("How many (default 50).", range: 1...100),
            "before": InputSchema.string("Only messages before this message id."),
            "after": InputSchema.string("Only messages after this message id."),
            "around": InputSchema.string("Messages around this message id."),
        ],
        required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        var query = [("limit", String(try arguments.int("limit", in: 1...100) ?? 50))]
        var anchors: [(String, String)] = []
        for key in ["before", "after", "around"] {
            if let id = try arguments.snowflake(key) { anchors.append((key, id)) }
        }
        guard anchors.count <= 1 else { throw ToolFailure("give only one of before, after and around") }
        query += anchors
        let messages =
            try await context.get("/channels/\(channel.id)/messages", query: query, action: "read \(channel.label)")
            .arrayValue ?? []
        return .done(
            ToolOutput(
                DiscordFormat.list(
                    "Messages in \(channel.label), newest first", messages.map(DiscordFormat.message), empty: "No messages."),
                ["channel_id": .string(channel.id), "messages": .array(messages)]))
    }

    static let getMessage = DiscordTool(
        "get_message", title: "Get message", effect: .read,
        description: "Shows one message with its embeds, reactions and reply reference.",
        properties: ["channel": InputSchema.channel, "guild": InputSchema.guild, "message_id": InputSchema.messageID],
        required: ["channel", "message_id"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let id = try arguments.requiredSnowflake("message_id")
        let message = try await context.get("/channels/\(channel.id)/messages/\(id)", action: "get message \(id)")
        return .done(ToolOutput(DiscordFormat.message(message), ["message": message]))
    }

    static let sendMessage = DiscordTool(
        "send_message", title: "Send message", effect: .write,
        description:
            "Sends a message to a channel or thread: text (at most 2000 characters) and/or embeds, optionally as a reply. Never pings @everyone or @here.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild, "content": InputSchema.content,
            "embeds": InputSchema.embeds, "reply_to": InputSchema.string("Reply to this message id in the same channel."),
        ],
        required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        var body = try MessageBody.make(arguments)
        var plan = "send \(MessageBody.preview(body)) to \(channel.label)"
        if let reply = try arguments.snowflake("reply_to") {
            body["message_reference"] = ["message_id": .string(reply), "fail_if_not_exists": false]
            plan += " as a reply to message \(reply)"
        }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite(plan) { () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/channels/\(channel.id)/messages", body: payload, action: "send a message to \(channel.label)")
                let message = response.body ?? .null
                return ToolOutput(
                    "Sent to \(channel.label): \(DiscordFormat.message(message))", ["message": message],
                    discordStatus: response.status)
            })
    }

    static let editMessage = DiscordTool(
        "edit_message", title: "Edit message", effect: .write, idempotent: true,
        description: "Changes the text or embeds of a message the bot sent.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild, "message_id": InputSchema.messageID,
            "content": InputSchema.content, "embeds": InputSchema.embeds,
        ],
        required: ["channel", "message_id"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let id = try arguments.requiredSnowflake("message_id")
        var body = try MessageBody.make(arguments)
        body["allowed_mentions"] = nil
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("change message \(id) in \(channel.label) to \(MessageBody.preview(body))") { () throws(ToolFailure) in
                let response = try await context.write(
                    "PATCH", "/channels/\(channel.id)/messages/\(id)", body: payload, action: "edit message \(id)")
                let message = response.body ?? .null
                return ToolOutput(
                    "Edited: \(DiscordFormat.message(message))", ["message": message], discordStatus: response.status)
            })
    }

    static let deleteMessage = DiscordTool(
        "delete_message", title: "Delete message", effect: .destructive, idempotent: true,
        description: "Deletes one message.",
        properties: ["channel": InputSchema.channel, "guild": InputSchema.guild, "message_id": InputSchema.messageID],
        required: ["channel", "message_id"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let id = try arguments.requiredSnowflake("message_id")
        let message = try await context.get("/channels/\(channel.id)/messages/\(id)", action: "get message \(id)")
        return .planned(
            PlannedWrite("delete this message in \(channel.label): \(DiscordFormat.message(message))") { () throws(ToolFailure) in
                let response = try await context.write(
                    "DELETE", "/channels/\(channel.id)/messages/\(id)", action: "delete message \(id)")
                return ToolOutput(
                    "Deleted message \(id) in \(channel.label).", ["deleted": .string(id)], discordStatus: response.status)
            })
    }

    static let bulkDeleteMessages = DiscordTool(
        "bulk_delete_messages", title: "Delete many messages", effect: .destructive,
        description:
            "Deletes 2 to 100 messages of one channel at once. Discord refuses messages older than 14 days; delete those one by one.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "message_ids": InputSchema.list("The message ids (2-100, none older than 14 days).", count: 2...100),
        ],
        required: ["channel", "message_ids"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let ids = try arguments.stringList("message_ids") ?? []
        do throws(DiscordLimits.Violation) {
            try DiscordLimits.checkBulkDelete(ids, now: Date().timeIntervalSince1970)
        } catch {
            throw ToolFailure(error)
        }
        let body: JSONValue = ["messages": .array(ids.map { .string($0) })]
        return .planned(
            PlannedWrite("delete \(ids.count) messages in \(channel.label) at once") { () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/channels/\(channel.id)/messages/bulk-delete", body: body, action: "bulk delete in \(channel.label)")
                return ToolOutput(
                    "Deleted \(ids.count) messages in \(channel.label).", ["deleted": .array(ids.map { .string($0) })],
                    discordStatus: response.status)
            })
    }
}
