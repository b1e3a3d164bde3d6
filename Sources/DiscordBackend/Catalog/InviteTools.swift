import MCPCore

enum InviteTools {
    static let all: [DiscordTool] = [listInvites, createInvite, getInvite, deleteInvite]

    static func line(_ invite: JSONValue) -> String {
        let code = invite["code"]?.stringValue ?? "?"
        var text = "\(code) to #\(invite["channel"]?["name"]?.stringValue ?? "?")"
        if let uses = DiscordFormat.int(invite["uses"]) {
            let maximum = DiscordFormat.int(invite["max_uses"]) ?? 0
            text += ", used \(uses)\(maximum > 0 ? "/\(maximum)" : "") times"
        }
        if let expires = invite["expires_at"]?.stringValue { text += ", expires \(expires)" }
        if let inviter = invite["inviter"] { text += ", made by \(DiscordFormat.userName(inviter))" }
        return text
    }

    /// An invite by code, checked against the policy through its guild and channel.
    static func invite(_ arguments: ToolArguments, context: DiscordContext) async throws(ToolFailure) -> (String, JSONValue) {
        var code = try arguments.requiredString("code")
        if let slash = code.lastIndex(of: "/") { code = String(code[code.index(after: slash)...]) }
        guard !code.isEmpty, code.count <= 32, code.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw ToolFailure("code must be an invite code like AbCd123 (or a discord.gg link)")
        }
        let invite = try await context.get("/invites/\(code)", query: [("with_counts", "true")], action: "look up invite \(code)")
        if let guild = invite["guild"]?["id"]?.stringValue { try context.checkGuild(guild) }
        if let channel = invite["channel"]?["id"]?.stringValue, !context.policy.allowsChannel(channel) {
            throw ToolFailure("channel \(channel) is closed to this gateway (DISCORD_DENIED_CHANNEL_IDS)")
        }
        return (code, invite)
    }

    static let listInvites = DiscordTool(
        "list_invites", title: "List invites", effect: .read,
        description: "Lists a channel's or the server's invites with their uses and expiry.",
        properties: ["guild": InputSchema.guild, "channel": InputSchema.channel]
    ) { arguments, context throws(ToolFailure) in
        let invites: [JSONValue]
        let place: String
        if arguments.has("channel") {
            let channel = try await context.channel(arguments)
            invites = try await context.get("/channels/\(channel.id)/invites", action: "list invites").arrayValue ?? []
            place = channel.label
        } else {
            let guild = try await context.guild(arguments)
            invites = (try await context.get("/guilds/\(guild.id)/invites", action: "list invites").arrayValue ?? [])
                .filter { context.policy.allowsChannel($0["channel"]?["id"]?.stringValue ?? "") }
            place = guild.label
        }
        return .done(
            ToolOutput(
                DiscordFormat.list("Invites in \(place)", invites.map(line), empty: "No invites in \(place)."),
                ["invites": .array(invites)]))
    }

    static let createInvite = DiscordTool(
        "create_invite", title: "Create invite", effect: .destructive,
        description: "Creates an invite link to a channel: how long it lasts, how many uses, temporary membership.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "max_age_seconds": InputSchema.integer("Lifetime in seconds, 0 for never (default 86400).", range: 0...604800),
            "max_uses": InputSchema.integer("How many uses, 0 for unlimited (default 0).", range: 0...100),
            "temporary": InputSchema.boolean("Members who join through it are removed when they go offline without a role."),
            "unique": InputSchema.boolean("Always make a new code rather than reuse a similar invite."),
        ],
        required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let age = try arguments.int("max_age_seconds", in: 0...604800) ?? 86400
        let uses = try arguments.int("max_uses", in: 0...100) ?? 0
        var body: [String: JSONValue] = ["max_age": .int(Int64(age)), "max_uses": .int(Int64(uses))]
        if let temporary = try arguments.bool("temporary") { body["temporary"] = .bool(temporary) }
        if let unique = try arguments.bool("unique") { body["unique"] = .bool(unique) }
        let lifetime = age == 0 ? "never expiring" : "valid \(age / 3600 > 0 ? "\(age / 3600) h" : "\(age) s")"
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("create an invite to \(channel.label), \(lifetime), \(uses == 0 ? "unlimited uses" : "\(uses) use(s)")")
            {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/channels/\(channel.id)/invites", body: payload, action: "create an invite")
                let invite = response.body ?? .null
                let code = invite["code"]?.stringValue ?? "?"
                return ToolOutput(
                    "Created the invite https://discord.gg/\(code) (\(lifetime)).", ["invite": invite],
                    discordStatus: response.status)
            })
    }

    static let getInvite = DiscordTool(
        "get_invite", title: "Get invite", effect: .read,
        description: "Shows where an invite leads and how often it was used.",
        properties: ["code": InputSchema.string("The invite code or discord.gg link.")], required: ["code"]
    ) { arguments, context throws(ToolFailure) in
        let (_, invite) = try await invite(arguments, context: context)
        var text = line(invite)
        if let guild = invite["guild"]?["name"]?.stringValue { text += " in \(guild)" }
        if let members = DiscordFormat.int(invite["approximate_member_count"]) { text += " (about \(members) members)" }
        return .done(ToolOutput(text, ["invite": invite]))
    }

    static let deleteInvite = DiscordTool(
        "delete_invite", title: "Delete invite", effect: .destructive, idempotent: true,
        description: "Revokes an invite so its link stops working.",
        properties: ["code": InputSchema.string("The invite code or discord.gg link.")], required: ["code"]
    ) { arguments, context throws(ToolFailure) in
        let (code, invite) = try await invite(arguments, context: context)
        return .planned(
            PlannedWrite("revoke the invite \(line(invite))") { () throws(ToolFailure) in
                let response = try await context.write("DELETE", "/invites/\(code)", action: "revoke invite \(code)")
                return ToolOutput("Revoked the invite \(code).", ["deleted": .string(code)], discordStatus: response.status)
            })
    }
}
