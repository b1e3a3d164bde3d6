import MCPCore

enum RoleTools {
    static let all: [DiscordTool] = [listRoles, createRole, editRole, deleteRole, addMemberRole, removeMemberRole]

    static let roleFields: KeyValuePairs<String, JSONValue> = [
        "guild": InputSchema.guild,
        "name": InputSchema.string("The role's name (1-100 characters).", maxLength: 100),
        "permissions": InputSchema.list("Server-wide permissions by name, e.g. [\"MANAGE_MESSAGES\"]."),
        "color": InputSchema.string("A color like #3498db."),
        "hoist": InputSchema.boolean("Show its members separately in the member list."),
        "mentionable": InputSchema.boolean("Anyone may @mention it."),
    ]

    /// The role fields given, as Discord's body and as words for the plan.
    static func roleBody(_ arguments: ToolArguments) throws(ToolFailure) -> ([String: JSONValue], [String]) {
        var body: [String: JSONValue] = [:]
        var words: [String] = []
        if let name = try arguments.string("name") {
            guard (1...100).contains(name.count) else { throw ToolFailure("name must be 1 to 100 characters") }
            body["name"] = .string(name)
            words.append("name \"\(name)\"")
        }
        if let permissions = try arguments.stringList("permissions") {
            body["permissions"] = .string(try DiscordPermissions.value(permissions, field: "permissions"))
            words.append("permissions \(permissions.isEmpty ? "none" : permissions.joined(separator: ", "))")
        }
        if let color = try arguments.string("color") {
            let hex = color.hasPrefix("#") ? String(color.dropFirst()) : color
            guard hex.count == 6, let value = Int64(hex, radix: 16) else { throw ToolFailure("color must look like #3498db") }
            body["color"] = .int(value)
            words.append("color #\(hex)")
        }
        if let hoist = try arguments.bool("hoist") {
            body["hoist"] = .bool(hoist)
            words.append(hoist ? "shown separately" : "not shown separately")
        }
        if let mentionable = try arguments.bool("mentionable") {
            body["mentionable"] = .bool(mentionable)
            words.append(mentionable ? "mentionable" : "not mentionable")
        }
        return (body, words)
    }

    static let listRoles = DiscordTool(
        "list_roles", title: "List roles", effect: .read,
        description: "Lists a server's roles from the top, with ids, colors and permissions.",
        properties: ["guild": InputSchema.guild]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let roles = (try await context.get("/guilds/\(guild.id)/roles", action: "list roles").arrayValue ?? []).sorted {
            (DiscordFormat.int($0["position"]) ?? 0) > (DiscordFormat.int($1["position"]) ?? 0)
        }
        let lines = roles.map { role in
            let permissions = DiscordPermissions.names(role["permissions"]?.stringValue)
            return DiscordFormat.role(role)
                + (permissions.isEmpty
                    ? "" : ": " + permissions.prefix(12).joined(separator: ", ") + (permissions.count > 12 ? ", …" : ""))
        }
        return .done(
            ToolOutput(DiscordFormat.list("Roles of \(guild.label)", lines, empty: "No roles."), ["roles": .array(roles)]))
    }

    static let createRole = DiscordTool(
        "create_role", title: "Create role", effect: .destructive,
        description: "Creates a role with a name, permissions, color, and whether it is shown separately and mentionable.",
        properties: roleFields, required: ["name"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let (body, words) = try roleBody(arguments)
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("create a role in \(guild.label) with \(words.joined(separator: ", "))") { () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/guilds/\(guild.id)/roles", body: payload, action: "create a role")
                return ToolOutput(
                    "Created \(DiscordFormat.role(response.body ?? .null)).", ["role": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let editRole = DiscordTool(
        "edit_role", title: "Edit role", effect: .destructive, idempotent: true,
        description: "Changes a role's name, permissions, color, display or mentionability.",
        properties: [
            "guild": InputSchema.guild, "role": InputSchema.role,
            "name": InputSchema.string("New name (1-100 characters).", maxLength: 100),
            "permissions": InputSchema.list("The role's complete new permission list, by name."),
            "color": InputSchema.string("A color like #3498db."),
            "hoist": InputSchema.boolean("Show its members separately."),
            "mentionable": InputSchema.boolean("Anyone may @mention it."),
        ],
        required: ["role"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let role = try await context.role(arguments, guild: guild.id)
        let (body, words) = try roleBody(arguments)
        guard !body.isEmpty else { throw ToolFailure("nothing to change: give name, permissions, color, hoist or mentionable") }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("change the role \(role.label) in \(guild.label) to \(words.joined(separator: ", "))") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "PATCH", "/guilds/\(guild.id)/roles/\(role.id)", body: payload, action: "edit the role \(role.name)")
                return ToolOutput(
                    "Edited \(DiscordFormat.role(response.body ?? .null)).", ["role": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let deleteRole = DiscordTool(
        "delete_role", title: "Delete role", effect: .destructive, idempotent: true,
        description: "Deletes a role; every member loses it.",
        properties: ["guild": InputSchema.guild, "role": InputSchema.role], required: ["role"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let role = try await context.role(arguments, guild: guild.id)
        return .planned(
            PlannedWrite("delete the role \(role.label) from \(guild.label); every member who has it loses it") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "DELETE", "/guilds/\(guild.id)/roles/\(role.id)", action: "delete the role \(role.name)")
                return ToolOutput(
                    "Deleted the role \(role.label).", ["deleted": .string(role.id)], discordStatus: response.status)
            })
    }

    static let addMemberRole = memberRole(add: true)
    static let removeMemberRole = memberRole(add: false)

    static func memberRole(add: Bool) -> DiscordTool {
        DiscordTool(
            add ? "add_member_role" : "remove_member_role", title: add ? "Give role" : "Take role", effect: .destructive,
            idempotent: true,
            description: add ? "Gives a member a role." : "Takes a role from a member.",
            properties: ["guild": InputSchema.guild, "member": InputSchema.member, "role": InputSchema.role],
            required: ["member", "role"]
        ) { arguments, context throws(ToolFailure) in
            let guild = try await context.guild(arguments)
            let member = try await context.member(arguments, guild: guild.id)
            let role = try await context.role(arguments, guild: guild.id)
            let plan = add ? "give \(member.label) the role \(role.label)" : "take the role \(role.label) from \(member.label)"
            return .planned(
                PlannedWrite(plan + " in \(guild.label)") { () throws(ToolFailure) in
                    let response = try await context.write(
                        add ? "PUT" : "DELETE", "/guilds/\(guild.id)/members/\(member.id)/roles/\(role.id)",
                        action: add ? "give \(member.name) a role" : "take a role from \(member.name)")
                    return ToolOutput(
                        add
                            ? "Gave \(member.label) the role \(role.label)."
                            : "Took the role \(role.label) from \(member.label).",
                        ["member_id": .string(member.id), "role_id": .string(role.id), "has_role": .bool(add)],
                        discordStatus: response.status)
                })
        }
    }
}
