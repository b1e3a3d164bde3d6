import MCPCore

/// The audit log, emojis, auto-moderation rules, and direct messages.
enum ModerationTools {
    static let all: [DiscordTool] = [readAuditLog, listEmojis, listAutomodRules, sendDM]

    static let actionTypes: [String: Int64] = [
        "guild_update": 1, "channel_create": 10, "channel_update": 11, "channel_delete": 12,
        "channel_overwrite_create": 13, "channel_overwrite_update": 14, "channel_overwrite_delete": 15,
        "member_kick": 20, "member_prune": 21, "member_ban_add": 22, "member_ban_remove": 23, "member_update": 24,
        "member_role_update": 25, "member_move": 26, "member_disconnect": 27, "bot_add": 28, "role_create": 30,
        "role_update": 31, "role_delete": 32, "invite_create": 40, "invite_update": 41, "invite_delete": 42,
        "webhook_create": 50, "webhook_update": 51, "webhook_delete": 52, "emoji_create": 60, "emoji_update": 61,
        "emoji_delete": 62, "message_delete": 72, "message_bulk_delete": 73, "message_pin": 74, "message_unpin": 75,
        "integration_create": 80, "integration_update": 81, "integration_delete": 82,
        "guild_scheduled_event_create": 100, "guild_scheduled_event_update": 101, "guild_scheduled_event_delete": 102,
        "thread_create": 110, "thread_update": 111, "thread_delete": 112, "auto_moderation_rule_create": 140,
        "auto_moderation_rule_update": 141, "auto_moderation_rule_delete": 142, "auto_moderation_block_message": 143,
    ]

    static func actionName(_ type: Int64?) -> String {
        guard let type else { return "?" }
        return actionTypes.first { $0.value == type }?.key ?? "action \(type)"
    }

    static let readAuditLog = DiscordTool(
        "read_audit_log", title: "Read audit log", effect: .read,
        description:
            "Reads the server's audit log (who did what, with reasons), newest first; filter by action type (e.g. member_ban_add, message_delete, or its number) and by the member who acted.",
        properties: [
            "guild": InputSchema.guild,
            "action_type": InputSchema.string("An action type name like member_kick or channel_delete, or its number."),
            "user": InputSchema.string("Only actions by this member (id or name)."),
            "limit": InputSchema.integer("How many (default 50).", range: 1...100),
            "before": InputSchema.string("Only entries before this entry id."),
        ]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        var query = [("limit", String(try arguments.int("limit", in: 1...100) ?? 50))]
        if let action = try arguments.string("action_type") {
            let key = action.lowercased().replacingOccurrences(of: " ", with: "_")
            guard let number = actionTypes[key] ?? Int64(action) else {
                throw ToolFailure(NameMatching.notFound("action type", action, candidates: Array(actionTypes.keys)))
            }
            query.append(("action_type", String(number)))
        }
        if let user = try arguments.string("user") {
            query.append(("user_id", try await context.member(user, guild: guild.id).id))
        }
        if let before = try arguments.snowflake("before") { query.append(("before", before)) }
        let log = try await context.get("/guilds/\(guild.id)/audit-logs", query: query, action: "read the audit log")
        var names: [String: String] = [:]
        for user in log["users"]?.arrayValue ?? [] {
            if let id = user["id"]?.stringValue { names[id] = DiscordFormat.userName(user) }
        }
        let entries = log["audit_log_entries"]?.arrayValue ?? []
        let lines = entries.map { entry in
            let who = entry["user_id"]?.stringValue.map { names[$0] ?? $0 } ?? "someone"
            var text = "\(who): \(actionName(DiscordFormat.int(entry["action_type"])))"
            if let target = entry["target_id"]?.stringValue { text += " on \(names[target] ?? target)" }
            if let reason = entry["reason"]?.stringValue { text += ", reason: \(reason)" }
            return text + " (entry \(entry["id"]?.stringValue ?? "?"))"
        }
        return .done(
            ToolOutput(
                DiscordFormat.list("Audit log of \(guild.label), newest first", lines, empty: "No matching audit log entries."),
                ["audit_log_entries": .array(entries), "users": log["users"] ?? []]))
    }

    static let listEmojis = DiscordTool(
        "list_emojis", title: "List emojis", effect: .read,
        description: "Lists the server's custom emojis, as they are written in messages and reactions.",
        properties: ["guild": InputSchema.guild]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let emojis = try await context.get("/guilds/\(guild.id)/emojis", action: "list emojis").arrayValue ?? []
        let lines = emojis.map { emoji in
            let name = emoji["name"]?.stringValue ?? "?"
            let id = emoji["id"]?.stringValue ?? "?"
            return "\(name): <\(emoji["animated"]?.boolValue == true ? "a" : ""):\(name):\(id)> (react with \(name):\(id))"
        }
        return .done(
            ToolOutput(
                DiscordFormat.list("Emojis of \(guild.label)", lines, empty: "No custom emojis."), ["emojis": .array(emojis)]))
    }

    static let listAutomodRules = DiscordTool(
        "list_automod_rules", title: "List auto-moderation rules", effect: .read,
        description: "Lists the server's auto-moderation rules: what they catch and what they do.",
        properties: ["guild": InputSchema.guild]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let rules =
            try await context.get("/guilds/\(guild.id)/auto-moderation/rules", action: "list auto-moderation rules")
            .arrayValue ?? []
        let triggers: [Int64: String] = [1: "keywords", 3: "spam", 4: "keyword presets", 5: "mention spam", 6: "member profile"]
        let lines = rules.map { rule in
            var text = "\(rule["name"]?.stringValue ?? "?") (id \(rule["id"]?.stringValue ?? "?")): "
            text += "catches \(triggers[DiscordFormat.int(rule["trigger_type"]) ?? 0] ?? "something")"
            let keywords = (rule["trigger_metadata"]?["keyword_filter"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !keywords.isEmpty { text += " (\(keywords.prefix(10).joined(separator: ", ")))" }
            text += rule["enabled"]?.boolValue == false ? ", disabled" : ", enabled"
            return text
        }
        return .done(
            ToolOutput(
                DiscordFormat.list("Auto-moderation rules of \(guild.label)", lines, empty: "No auto-moderation rules."),
                ["rules": .array(rules)]))
    }

    static let sendDM = DiscordTool(
        "send_dm", title: "Send direct message", effect: .write,
        description: "Sends a direct message to a member from the bot (only when the operator turned DMs on).",
        properties: [
            "guild": InputSchema.guild, "member": InputSchema.member, "content": InputSchema.content,
            "embeds": InputSchema.embeds,
        ],
        required: ["member"]
    ) { arguments, context throws(ToolFailure) in
        guard context.policy.allowDirectMessages else {
            throw ToolFailure("direct messages are off for this gateway (DISCORD_ALLOW_DMS)")
        }
        let guild = try await context.guild(arguments)
        let member = try await context.member(arguments, guild: guild.id)
        let body = JSONValue.object(try MessageBody.make(arguments))
        let preview = MessageBody.preview(body.objectValue ?? [:])
        return .planned(
            PlannedWrite("send \(member.label) the direct message \(preview)") { () throws(ToolFailure) in
                let channel = try await context.write(
                    "POST", "/users/@me/channels", body: ["recipient_id": .string(member.id)],
                    action: "open a DM with \(member.name)")
                guard let channelID = channel.body?["id"]?.stringValue else { throw ToolFailure("Discord opened no DM channel") }
                let response = try await context.write(
                    "POST", "/channels/\(channelID)/messages", body: body, action: "send a DM to \(member.name)")
                return ToolOutput(
                    "Sent \(member.label) a direct message: \(DiscordFormat.message(response.body ?? .null))",
                    ["message": response.body ?? .null], discordStatus: response.status)
            })
    }
}
