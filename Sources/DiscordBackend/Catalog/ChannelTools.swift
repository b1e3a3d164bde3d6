import MCPCore

enum ChannelTools {
    static let all: [DiscordTool] = [
        listChannels, getChannel, createChannel, editChannel, deleteChannel, setChannelPermissions,
        deleteChannelPermissions,
    ]

    static let listChannels = DiscordTool(
        "list_channels", title: "List channels", effect: .read,
        description: "Lists a server's channels by category, with their type, id and topic.",
        properties: ["guild": InputSchema.guild]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let channels =
            (try await context.get("/guilds/\(guild.id)/channels", action: "list the server's channels")
            .arrayValue ?? []).filter { context.policy.allowsChannel($0["id"]?.stringValue ?? "") }
        let sorted = channels.sorted {
            (DiscordFormat.int($0["position"]) ?? 0, $0["id"]?.stringValue ?? "")
                < (DiscordFormat.int($1["position"]) ?? 0, $1["id"]?.stringValue ?? "")
        }
        var lines: [String] = []
        for channel in sorted where channel["parent_id"]?.stringValue == nil {
            lines.append(DiscordFormat.channel(channel))
            let id = channel["id"]?.stringValue
            for child in sorted where child["parent_id"]?.stringValue == id && id != nil {
                lines.append("  " + DiscordFormat.channel(child))
            }
        }
        return .done(
            ToolOutput(
                DiscordFormat.list("Channels of \(guild.label)", lines, empty: "The server has no channel the bot can see."),
                ["channels": .array(sorted)]))
    }

    static let getChannel = DiscordTool(
        "get_channel", title: "Get channel", effect: .read,
        description: "Shows one channel (or thread): type, topic, category, slowmode and permission overwrites.",
        properties: ["channel": InputSchema.channel, "guild": InputSchema.guild], required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let object = channel.object ?? .null
        var lines = [DiscordFormat.channel(object)]
        if let parent = object["parent_id"]?.stringValue { lines.append("Parent: \(parent)") }
        if let slowmode = DiscordFormat.int(object["rate_limit_per_user"]), slowmode > 0 {
            lines.append("Slowmode: \(slowmode) s")
        }
        for overwrite in object["permission_overwrites"]?.arrayValue ?? [] {
            let kind = DiscordFormat.int(overwrite["type"]) == 1 ? "member" : "role"
            let allow = DiscordPermissions.names(overwrite["allow"]?.stringValue)
            let deny = DiscordPermissions.names(overwrite["deny"]?.stringValue)
            lines.append(
                "Overwrite for \(kind) \(overwrite["id"]?.stringValue ?? "?"): allow \(allow.isEmpty ? "-" : allow.joined(separator: ", ")); deny \(deny.isEmpty ? "-" : deny.joined(separator: ", "))"
            )
        }
        return .done(ToolOutput(lines.joined(separator: "\n"), ["channel": object]))
    }

    static let createChannel = DiscordTool(
        "create_channel", title: "Create channel", effect: .write,
        description:
            "Creates a text, voice, category, forum, stage or announcement channel. private=true hides it from everyone except the listed roles and members (and the bot).",
        properties: [
            "guild": InputSchema.guild,
            "name": InputSchema.string("The channel's name (1-100 characters).", maxLength: 100),
            "type": InputSchema.string(
                "The kind of channel (default text).", choices: ["text", "voice", "category", "forum", "stage", "announcement"]),
            "topic": InputSchema.string("The topic (text, announcement and forum channels).", maxLength: 1024),
            "category": InputSchema.string("The category to put it in: id or name."),
            "private": InputSchema.boolean("Hide the channel from @everyone."),
            "allow_roles": InputSchema.list("Roles (ids or names) that can see a private channel."),
            "allow_members": InputSchema.list("Members (ids or names) who can see a private channel."),
            "nsfw": InputSchema.boolean("Age-restricted."),
            "slowmode_seconds": InputSchema.integer("Seconds between a member's messages.", range: 0...21600),
        ],
        required: ["name"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let name = try arguments.requiredString("name")
        guard (1...100).contains(name.count) else { throw ToolFailure("name must be 1 to 100 characters") }
        let kind = try arguments.choice("type", Array(DiscordFormat.channelTypeNumbers.keys).sorted()) ?? "text"
        var body: [String: JSONValue] = ["name": .string(name), "type": .int(DiscordFormat.channelTypeNumbers[kind]!)]
        if let topic = try arguments.string("topic") { body["topic"] = .string(topic) }
        if let nsfw = try arguments.bool("nsfw") { body["nsfw"] = .bool(nsfw) }
        if let slowmode = try arguments.int("slowmode_seconds", in: 0...21600) {
            body["rate_limit_per_user"] = .int(Int64(slowmode))
        }
        var where_ = ""
        if let category = try arguments.string("category") {
            let parent = try await context.channel(category, in: arguments)
            guard DiscordFormat.int(parent.object?["type"]) == 4 else { throw ToolFailure("\(parent.label) is not a category") }
            body["parent_id"] = .string(parent.id)
            where_ = " in category \(parent.label)"
        }
        var privacy = ""
        if try arguments.bool("private") == true {
            let view = try DiscordPermissions.value(
                kind == "voice" || kind == "stage" ? ["VIEW_CHANNEL", "CONNECT"] : ["VIEW_CHANNEL"], field: "private")
            var overwrites: [JSONValue] = [["id": .string(guild.id), "type": 0, "deny": .string(view), "allow": "0"]]
            var allowed: [String] = []
            for reference in try arguments.stringList("allow_roles") ?? [] {
                let role = try await context.role(reference, guild: guild.id)
                overwrites.append(["id": .string(role.id), "type": 0, "allow": .string(view), "deny": "0"])
                allowed.append(role.name)
            }
            for reference in try arguments.stringList("allow_members") ?? [] {
                let member = try await context.member(reference, guild: guild.id)
                overwrites.append(["id": .string(member.id), "type": 1, "allow": .string(view), "deny": "0"])
                allowed.append(member.name)
            }
            // Without its own overwrite the bot would lose sight of the channel it just made.
            let me = try await context.get("/users/@me", action: "look up the bot")
            if let bot = me["id"]?.stringValue {
                overwrites.append(["id": .string(bot), "type": 1, "allow": .string(view), "deny": "0"])
            }
            body["permission_overwrites"] = .array(overwrites)
            privacy =
                ", private (visible to \(allowed.isEmpty ? "no one but the bot and admins" : allowed.joined(separator: ", ")))"
        }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("create the \(kind) channel \"\(name)\" in \(guild.label)\(where_)\(privacy)") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/guilds/\(guild.id)/channels", body: payload, action: "create the channel \"\(name)\"")
                let channel = response.body ?? .null
                return ToolOutput(
                    "Created \(DiscordFormat.channel(channel)).", ["channel": channel], discordStatus: response.status)
            })
    }

    static let editChannel = DiscordTool(
        "edit_channel", title: "Edit channel", effect: .write,
        description: "Renames a channel or changes its topic, category, slowmode, age restriction or position.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "name": InputSchema.string("New name (1-100 characters).", maxLength: 100),
            "topic": InputSchema.string("New topic; empty to clear.", maxLength: 1024),
            "category": InputSchema.string("Move into this category (id or name); empty to take it out."),
            "slowmode_seconds": InputSchema.integer("Seconds between a member's messages.", range: 0...21600),
            "nsfw": InputSchema.boolean("Age-restricted."),
            "position": InputSchema.integer("Sorting position.", range: 0...500),
        ],
        required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        var body: [String: JSONValue] = [:]
        var changes: [String] = []
        if let name = try arguments.string("name") {
            guard (1...100).contains(name.count) else { throw ToolFailure("name must be 1 to 100 characters") }
            body["name"] = .string(name)
            changes.append("rename it to \"\(name)\"")
        }
        if let topic = try arguments.string("topic") {
            body["topic"] = topic.isEmpty ? .null : .string(topic)
            changes.append(topic.isEmpty ? "clear the topic" : "set the topic to \"\(topic.prefix(80))\"")
        }
        if let category = try arguments.string("category") {
            if category.isEmpty {
                body["parent_id"] = .null
                changes.append("take it out of its category")
            } else {
                let parent = try await context.channel(category, in: arguments)
                body["parent_id"] = .string(parent.id)
                changes.append("move it into \(parent.label)")
            }
        }
        if let slowmode = try arguments.int("slowmode_seconds", in: 0...21600) {
            body["rate_limit_per_user"] = .int(Int64(slowmode))
            changes.append("set slowmode to \(slowmode) s")
        }
        if let nsfw = try arguments.bool("nsfw") {
            body["nsfw"] = .bool(nsfw)
            changes.append(nsfw ? "mark it age-restricted" : "lift the age restriction")
        }
        if let position = try arguments.int("position", in: 0...500) {
            body["position"] = .int(Int64(position))
            changes.append("move it to position \(position)")
        }
        guard !changes.isEmpty else {
            throw ToolFailure("nothing to change: give name, topic, category, slowmode_seconds, nsfw or position")
        }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("edit \(channel.label): \(changes.joined(separator: ", "))") { () throws(ToolFailure) in
                let response = try await context.write(
                    "PATCH", "/channels/\(channel.id)", body: payload, action: "edit \(channel.label)")
                return ToolOutput(
                    "Edited \(DiscordFormat.channel(response.body ?? .null)).", ["channel": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let deleteChannel = DiscordTool(
        "delete_channel", title: "Delete channel", effect: .destructive,
        description: "Deletes a channel, category or thread for good, with all its messages.",
        properties: ["channel": InputSchema.channel, "guild": InputSchema.guild], required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        return .planned(
            PlannedWrite(
                "delete the \(DiscordFormat.channelType(channel.object ?? .null)) channel \(channel.label) and all its messages, for good"
            ) {
                () throws(ToolFailure) in
                let response = try await context.write("DELETE", "/channels/\(channel.id)", action: "delete \(channel.label)")
                return ToolOutput("Deleted \(channel.label).", ["deleted": .string(channel.id)], discordStatus: response.status)
            })
    }

    static let setChannelPermissions = DiscordTool(
        "set_channel_permissions", title: "Set channel permissions", effect: .destructive, idempotent: true,
        description:
            "Sets what a role or member may do in one channel (a permission overwrite): permissions to allow and to deny, by name, e.g. [\"SEND_MESSAGES\"]. Replaces the target's existing overwrite.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "target": InputSchema.string("The role or member: id, name, or @name."),
            "allow": InputSchema.list("Permissions to allow, e.g. VIEW_CHANNEL, SEND_MESSAGES."),
            "deny": InputSchema.list("Permissions to deny."),
        ],
        required: ["channel", "target"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let target = try await overwriteTarget(arguments, channel: channel, context: context)
        let allowNames = try arguments.stringList("allow") ?? []
        let denyNames = try arguments.stringList("deny") ?? []
        guard !allowNames.isEmpty || !denyNames.isEmpty else { throw ToolFailure("give permissions to allow or to deny") }
        let body: JSONValue = [
            "type": .int(target.type), "allow": .string(try DiscordPermissions.value(allowNames, field: "allow")),
            "deny": .string(try DiscordPermissions.value(denyNames, field: "deny")),
        ]
        let plan =
            "in \(channel.label), let \(target.resolved.label) "
            + [
                allowNames.isEmpty ? nil : "have \(allowNames.joined(separator: ", "))",
                denyNames.isEmpty ? nil : "be denied \(denyNames.joined(separator: ", "))",
            ].compactMap { $0 }.joined(separator: " and ")
        return .planned(
            PlannedWrite(plan) { () throws(ToolFailure) in
                let response = try await context.write(
                    "PUT", "/channels/\(channel.id)/permissions/\(target.resolved.id)", body: body,
                    action: "set permissions in \(channel.label)")
                return ToolOutput(
                    "Set the permissions of \(target.resolved.label) in \(channel.label).",
                    [
                        "channel_id": .string(channel.id),
                        "overwrite": ["id": .string(target.resolved.id), "type": .int(target.type)],
                    ],
                    discordStatus: response.status)
            })
    }

    static let deleteChannelPermissions = DiscordTool(
        "delete_channel_permissions", title: "Remove channel permission overwrite", effect: .destructive, idempotent: true,
        description:
            "Removes a role's or member's permission overwrite from a channel, so the server-wide permissions apply again.",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "target": InputSchema.string("The role or member: id, name, or @name."),
        ],
        required: ["channel", "target"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let target = try await overwriteTarget(arguments, channel: channel, context: context)
        return .planned(
            PlannedWrite("remove the permission overwrite of \(target.resolved.label) from \(channel.label)") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "DELETE", "/channels/\(channel.id)/permissions/\(target.resolved.id)",
                    action: "remove a permission overwrite from \(channel.label)")
                return ToolOutput(
                    "Removed the overwrite of \(target.resolved.label) from \(channel.label).",
                    ["channel_id": .string(channel.id), "removed": .string(target.resolved.id)], discordStatus: response.status)
            })
    }

    /// A role (type 0) or member (type 1): an existing overwrite's id, a role name, or a member.
    static func overwriteTarget(_ arguments: ToolArguments, channel: Resolved, context: DiscordContext) async throws(ToolFailure)
        -> (resolved: Resolved, type: Int64)
    {
        let reference = try arguments.requiredString("target")
        guard let guild = channel.guildID else { throw ToolFailure("\(channel.label) is not in a server") }
        if let existing = channel.object?["permission_overwrites"]?.arrayValue?.first(where: {
            $0["id"]?.stringValue == reference
        }) {
            return (Resolved(id: reference, name: reference, object: existing), DiscordFormat.int(existing["type"]) ?? 0)
        }
        if let role = try? await context.role(reference, guild: guild) { return (role, 0) }
        return (try await context.member(reference, guild: guild), 1)
    }
}
