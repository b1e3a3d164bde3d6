import Foundation
import MCPCore

enum MemberTools {
    static let all: [DiscordTool] = [
        listMembers, getMember, searchMembers, setNickname, timeoutMember, removeTimeout, kickMember, banMember,
        unbanMember, listBans,
    ]

    static func roleNames(_ guild: String, context: DiscordContext) async throws(ToolFailure) -> [String: String] {
        let roles = try await context.get("/guilds/\(guild)/roles", action: "list roles").arrayValue ?? []
        var names: [String: String] = [:]
        for role in roles {
            if let id = role["id"]?.stringValue { names[id] = role["name"]?.stringValue ?? id }
        }
        return names
    }

    static let listMembers = DiscordTool(
        "list_members", title: "List members", effect: .read,
        description: "Lists a server's members in join order (by user id), up to 1000, after a user id for the next page.",
        properties: [
            "guild": InputSchema.guild, "limit": InputSchema.integer("How many (default 100).", range: 1...1000),
            "after": InputSchema.string("Only members whose user id is above this one (for paging)."),
        ]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        var query = [("limit", String(try arguments.int("limit", in: 1...1000) ?? 100))]
        if let after = try arguments.snowflake("after") { query.append(("after", after)) }
        let members = try await context.get("/guilds/\(guild.id)/members", query: query, action: "list members").arrayValue ?? []
        let roles = try await roleNames(guild.id, context: context)
        return .done(
            ToolOutput(
                DiscordFormat.list(
                    "Members of \(guild.label)", members.map { DiscordFormat.member($0, roleNames: roles) }, empty: "No members."),
                ["members": .array(members)]))
    }

    static let getMember = DiscordTool(
        "get_member", title: "Get member", effect: .read,
        description: "Shows one member: names, roles, join date and any timeout.",
        properties: ["guild": InputSchema.guild, "member": InputSchema.member], required: ["member"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let member = try await context.member(arguments, guild: guild.id)
        let object = member.object ?? .null
        let roles = try await roleNames(guild.id, context: context)
        var text = DiscordFormat.member(object, roleNames: roles)
        if let joined = object["joined_at"]?.stringValue { text += "\nJoined: \(joined)" }
        return .done(ToolOutput(text, ["member": object]))
    }

    static let searchMembers = DiscordTool(
        "search_members", title: "Search members", effect: .read,
        description: "Finds members whose username or nickname starts with the given text.",
        properties: [
            "guild": InputSchema.guild, "query": InputSchema.string("The start of a name.", maxLength: 100),
            "limit": InputSchema.integer("How many (default 25).", range: 1...1000),
        ],
        required: ["query"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let query = try arguments.requiredString("query")
        let limit = try arguments.int("limit", in: 1...1000) ?? 25
        let members =
            try await context.get(
                "/guilds/\(guild.id)/members/search", query: [("query", query), ("limit", String(limit))],
                action: "search members"
            ).arrayValue ?? []
        return .done(
            ToolOutput(
                DiscordFormat.list(
                    "Members matching \"\(query)\"", members.map { DiscordFormat.member($0) },
                    empty: "No member's name starts with \"\(query)\"."),
                ["members": .array(members)]))
    }

    static let setNickname = DiscordTool(
        "set_nickname", title: "Set nickname", effect: .write, idempotent: true,
        description: "Sets a member's nickname in the server (or the bot's own with member \"me\"); empty clears it.",
        properties: [
            "guild": InputSchema.guild, "member": InputSchema.member,
            "nickname": InputSchema.string("The nickname (at most 32 characters); empty to clear.", maxLength: 32),
        ],
        required: ["member", "nickname"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        guard let nickname = try arguments.string("nickname"), nickname.count <= 32 else {
            throw ToolFailure("nickname is required and at most 32 characters (empty clears it)")
        }
        let reference = try arguments.requiredString("member")
        let path: String
        let label: String
        if reference.lowercased() == "me" || reference.lowercased() == "@me" {
            (path, label) = ("/guilds/\(guild.id)/members/@me", "the bot")
        } else {
            let member = try await context.member(reference, guild: guild.id)
            (path, label) = ("/guilds/\(guild.id)/members/\(member.id)", member.label)
        }
        let body: JSONValue = ["nick": nickname.isEmpty ? .null : .string(nickname)]
        let plan = nickname.isEmpty ? "clear the nickname of \(label)" : "set the nickname of \(label) to \"\(nickname)\""
        return .planned(
            PlannedWrite(plan + " in \(guild.label)") { () throws(ToolFailure) in
                let response = try await context.write("PATCH", path, body: body, action: "set a nickname")
                return ToolOutput(
                    nickname.isEmpty ? "Cleared the nickname of \(label)." : "\(label) is now \"\(nickname)\".",
                    ["member": response.body ?? .null], discordStatus: response.status)
            })
    }

    static let timeoutMember = DiscordTool(
        "timeout_member", title: "Time out member", effect: .destructive,
        description: "Times a member out: they cannot talk, react or join voice until it ends (at most 28 days).",
        properties: [
            "guild": InputSchema.guild, "member": InputSchema.member,
            "minutes": InputSchema.integer("How long, in minutes (1 to 40320 = 28 days).", range: 1...40320),
        ],
        required: ["member", "minutes"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        guard let minutes = try arguments.int("minutes") else { throw ToolFailure("minutes is required") }
        do throws(DiscordLimits.Violation) {
            try DiscordLimits.checkTimeout(seconds: Double(minutes) * 60)
        } catch {
            throw ToolFailure(error)
        }
        let member = try await context.member(arguments, guild: guild.id)
        let until = Date().addingTimeInterval(Double(minutes) * 60)
        let stamp = Timestamp.string(until)
        return .planned(
            PlannedWrite("time out \(member.label) in \(guild.label) for \(minutes) minutes (until \(stamp))") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "PATCH", "/guilds/\(guild.id)/members/\(member.id)", body: ["communication_disabled_until": .string(stamp)],
                    action: "time out \(member.name)")
                return ToolOutput(
                    "Timed out \(member.label) until \(stamp).", ["member": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let removeTimeout = DiscordTool(
        "remove_timeout", title: "End timeout", effect: .write, idempotent: true,
        description: "Ends a member's timeout now.",
        properties: ["guild": InputSchema.guild, "member": InputSchema.member], required: ["member"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let member = try await context.member(arguments, guild: guild.id)
        return .planned(
            PlannedWrite("end the timeout of \(member.label) in \(guild.label)") { () throws(ToolFailure) in
                let response = try await context.write(
                    "PATCH", "/guilds/\(guild.id)/members/\(member.id)", body: ["communication_disabled_until": .null],
                    action: "end the timeout of \(member.name)")
                return ToolOutput(
                    "Ended the timeout of \(member.label).", ["member": response.body ?? .null], discordStatus: response.status)
            })
    }

    static let kickMember = DiscordTool(
        "kick_member", title: "Kick member", effect: .destructive,
        description: "Removes a member from the server; they can come back with an invite.",
        properties: ["guild": InputSchema.guild, "member": InputSchema.member], required: ["member"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let member = try await context.member(arguments, guild: guild.id)
        return .planned(
            PlannedWrite("kick \(member.label) out of \(guild.label)") { () throws(ToolFailure) in
                let response = try await context.write(
                    "DELETE", "/guilds/\(guild.id)/members/\(member.id)", action: "kick \(member.name)")
                return ToolOutput("Kicked \(member.label).", ["kicked": .string(member.id)], discordStatus: response.status)
            })
    }

    static let banMember = DiscordTool(
        "ban_member", title: "Ban member", effect: .destructive, idempotent: true,
        description:
            "Bans a user from the server (they are removed and cannot rejoin), optionally deleting their recent messages.",
        properties: [
            "guild": InputSchema.guild, "member": InputSchema.member,
            "delete_message_days": InputSchema.integer("Also delete their messages from the last days (0-7).", range: 0...7),
        ],
        required: ["member"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let days = try arguments.int("delete_message_days", in: 0...7) ?? 0
        let member = try await context.member(arguments, guild: guild.id)
        let body: JSONValue = ["delete_message_seconds": .int(Int64(days * 86400))]
        let cleanup = days > 0 ? " and delete their messages of the last \(days) day(s)" : ""
        return .planned(
            PlannedWrite("ban \(member.label) from \(guild.label)\(cleanup)") { () throws(ToolFailure) in
                let response = try await context.write(
                    "PUT", "/guilds/\(guild.id)/bans/\(member.id)", body: body, action: "ban \(member.name)")
                return ToolOutput("Banned \(member.label).", ["banned": .string(member.id)], discordStatus: response.status)
            })
    }

    static let unbanMember = DiscordTool(
        "unban_member", title: "Lift ban", effect: .destructive, idempotent: true,
        description: "Lifts a user's ban, by user id (see list_bans).",
        properties: ["guild": InputSchema.guild, "user_id": InputSchema.string("The banned user's id.")],
        required: ["user_id"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let user = try arguments.requiredSnowflake("user_id")
        let ban = try await context.get("/guilds/\(guild.id)/bans/\(user)", action: "look up the ban of \(user)")
        let name = DiscordFormat.userName(ban["user"])
        return .planned(
            PlannedWrite("lift the ban of \(name) (\(user)) in \(guild.label)") { () throws(ToolFailure) in
                let response = try await context.write(
                    "DELETE", "/guilds/\(guild.id)/bans/\(user)", action: "lift the ban of \(name)")
                return ToolOutput(
                    "Lifted the ban of \(name) (\(user)).", ["unbanned": .string(user)], discordStatus: response.status)
            })
    }

    static let listBans = DiscordTool(
        "list_bans", title: "List bans", effect: .read,
        description: "Lists banned users with the reasons given.",
        properties: ["guild": InputSchema.guild, "limit": InputSchema.integer("How many (default 100).", range: 1...1000)]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let limit = try arguments.int("limit", in: 1...1000) ?? 100
        let bans =
            try await context.get("/guilds/\(guild.id)/bans", query: [("limit", String(limit))], action: "list bans").arrayValue
            ?? []
        let lines = bans.map { ban in
            "\(DiscordFormat.userName(ban["user"])) (id \(ban["user"]?["id"]?.stringValue ?? "?")): \(ban["reason"]?.stringValue ?? "no reason given")"
        }
        return .done(
            ToolOutput(DiscordFormat.list("Bans in \(guild.label)", lines, empty: "No one is banned."), ["bans": .array(bans)]))
    }
}
