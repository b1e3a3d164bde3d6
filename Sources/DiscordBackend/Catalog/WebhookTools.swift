import MCPCore

/// Webhooks: their tokens (and URLs) never leave the backend; executing one looks its token up inside.
enum WebhookTools {
    static let all: [DiscordTool] = [listWebhooks, createWebhook, editWebhook, deleteWebhook, executeWebhook]

    static func line(_ webhook: JSONValue) -> String {
        "\(webhook["name"]?.stringValue ?? "?") (id \(webhook["id"]?.stringValue ?? "?"), in channel \(webhook["channel_id"]?.stringValue ?? "?"))"
    }

    /// A webhook by id, checked against the policy through its channel; the object still holds its token.
    static func webhook(_ arguments: ToolArguments, context: DiscordContext) async throws(ToolFailure) -> (JSONValue, Resolved) {
        let id = try arguments.requiredSnowflake("webhook_id")
        let webhook = try await context.get("/webhooks/\(id)", action: "look up webhook \(id)")
        guard let channelID = webhook["channel_id"]?.stringValue else { throw ToolFailure("webhook \(id) has no channel") }
        let channel = try await context.channel(channelID)
        return (webhook, channel)
    }

    static let listWebhooks = DiscordTool(
        "list_webhooks", title: "List webhooks", effect: .read,
        description: "Lists the webhooks of a channel, or of the whole server. Tokens and URLs are never shown.",
        properties: ["guild": InputSchema.guild, "channel": InputSchema.channel]
    ) { arguments, context throws(ToolFailure) in
        let webhooks: [JSONValue]
        let place: String
        if arguments.has("channel") {
            let channel = try await context.channel(arguments)
            webhooks = try await context.get("/channels/\(channel.id)/webhooks", action: "list webhooks").arrayValue ?? []
            place = channel.label
        } else {
            let guild = try await context.guild(arguments)
            webhooks = (try await context.get("/guilds/\(guild.id)/webhooks", action: "list webhooks").arrayValue ?? [])
                .filter { context.policy.allowsChannel($0["channel_id"]?.stringValue ?? "") }
            place = guild.label
        }
        return .done(
            ToolOutput(
                DiscordFormat.list("Webhooks in \(place)", webhooks.map(line), empty: "No webhooks in \(place)."),
                ["webhooks": .array(webhooks)]))
    }

    static let createWebhook = DiscordTool(
        "create_webhook", title: "Create webhook", effect: .destructive,
        description:
            "Creates a webhook in a channel. Its secret URL stays inside the gateway: post through it with execute_webhook.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "name": InputSchema.string("The webhook's name (1-80 characters).", maxLength: 80),
        ],
        required: ["channel", "name"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let name = try arguments.requiredString("name")
        guard (1...80).contains(name.count), !name.lowercased().contains("clyde"), !name.lowercased().contains("discord") else {
            throw ToolFailure("name must be 1 to 80 characters and cannot contain \"clyde\" or \"discord\"")
        }
        return .planned(
            PlannedWrite("create a webhook \"\(name)\" in \(channel.label), which can post there without the bot") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/channels/\(channel.id)/webhooks", body: ["name": .string(name)], action: "create a webhook")
                let webhook = response.body ?? .null
                return ToolOutput("Created the webhook \(line(webhook)).", ["webhook": webhook], discordStatus: response.status)
            })
    }

    static let editWebhook = DiscordTool(
        "edit_webhook", title: "Edit webhook", effect: .write, idempotent: true,
        description: "Renames a webhook or moves it to another channel of the same server.",
        properties: [
            "webhook_id": InputSchema.string("The webhook's id."), "guild": InputSchema.guild,
            "name": InputSchema.string("New name (1-80 characters).", maxLength: 80),
            "channel": InputSchema.string("Move it to this channel (id or name)."),
        ],
        required: ["webhook_id"]
    ) { arguments, context throws(ToolFailure) in
        let (webhook, current) = try await webhook(arguments, context: context)
        let id = webhook["id"]?.stringValue ?? ""
        var body: [String: JSONValue] = [:]
        var changes: [String] = []
        if let name = try arguments.string("name") {
            guard (1...80).contains(name.count) else { throw ToolFailure("name must be 1 to 80 characters") }
            body["name"] = .string(name)
            changes.append("rename it to \"\(name)\"")
        }
        if let reference = try arguments.string("channel") {
            let target = try await context.channel(reference, in: arguments)
            body["channel_id"] = .string(target.id)
            changes.append("move it from \(current.label) to \(target.label)")
        }
        guard !changes.isEmpty else { throw ToolFailure("nothing to change: give name or channel") }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("edit the webhook \(line(webhook)): \(changes.joined(separator: ", "))") { () throws(ToolFailure) in
                let response = try await context.write("PATCH", "/webhooks/\(id)", body: payload, action: "edit webhook \(id)")
                return ToolOutput(
                    "Edited the webhook \(line(response.body ?? .null)).", ["webhook": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let deleteWebhook = DiscordTool(
        "delete_webhook", title: "Delete webhook", effect: .destructive, idempotent: true,
        description: "Deletes a webhook; whatever posts through it stops working.",
        properties: ["webhook_id": InputSchema.string("The webhook's id."), "guild": InputSchema.guild],
        required: ["webhook_id"]
    ) { arguments, context throws(ToolFailure) in
        let (webhook, _) = try await webhook(arguments, context: context)
        let id = webhook["id"]?.stringValue ?? ""
        return .planned(
            PlannedWrite("delete the webhook \(line(webhook)); anything posting through it stops working") {
                () throws(ToolFailure) in
                let response = try await context.write("DELETE", "/webhooks/\(id)", action: "delete webhook \(id)")
                return ToolOutput("Deleted the webhook \(id).", ["deleted": .string(id)], discordStatus: response.status)
            })
    }

    static let executeWebhook = DiscordTool(
        "execute_webhook", title: "Post through webhook", effect: .write,
        description: "Posts a message through a webhook, optionally under another display name.",
        properties: [
            "webhook_id": InputSchema.string("The webhook's id."), "guild": InputSchema.guild,
            "content": InputSchema.content, "embeds": InputSchema.embeds,
            "username": InputSchema.string("Display name for this message (1-80 characters).", maxLength: 80),
        ],
        required: ["webhook_id"]
    ) { arguments, context throws(ToolFailure) in
        let (webhook, channel) = try await webhook(arguments, context: context)
        let id = webhook["id"]?.stringValue ?? ""
        guard let token = webhook["token"]?.stringValue, !token.isEmpty else {
            throw ToolFailure("webhook \(id) belongs to an application or another bot; only its owner can post through it")
        }
        var body = try MessageBody.make(arguments)
        if let username = try arguments.string("username") {
            guard (1...80).contains(username.count) else { throw ToolFailure("username must be 1 to 80 characters") }
            body["username"] = .string(username)
        }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite(
                "post \(MessageBody.preview(body)) to \(channel.label) through the webhook \(webhook["name"]?.stringValue ?? id)"
            ) {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/webhooks/\(id)/\(token)", query: [("wait", "true")], body: payload,
                    action: "post through webhook \(id)")
                let message = response.body ?? .null
                return ToolOutput(
                    "Posted to \(channel.label): \(DiscordFormat.message(message))", ["message": message],
                    discordStatus: response.status)
            })
    }
}
