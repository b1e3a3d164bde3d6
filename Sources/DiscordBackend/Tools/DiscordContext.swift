import MCPCore

/// What a tool works with: the REST client, the operator's policy, and name resolution that applies that policy
/// to every guild, channel, member and role a call touches.
struct DiscordContext: Sendable {
    let rest: DiscordRESTClient
    let policy: DiscordPolicy
    /// The `reason` argument of a write, for Discord's audit log.
    let reason: String?

    // MARK: requests

    func get(_ path: String, query: [(String, String)] = [], action: String) async throws(ToolFailure) -> JSONValue {
        do {
            return try await rest.send(DiscordRoute("GET", path), query: query, action: action).body ?? .null
        } catch {
            throw ToolFailure(error)
        }
    }

    /// A write, with the call's `reason` for Discord's audit log.
    func write(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, action: String
    ) async throws(ToolFailure) -> DiscordRESTClient.Response {
        do {
            return try await rest.send(DiscordRoute(method, path), query: query, body: body, reason: reason, action: action)
        } catch {
            throw ToolFailure(error)
        }
    }

    // MARK: guilds

    /// The guilds the bot is in and the policy allows.
    func visibleGuilds() async throws(ToolFailure) -> [JSONValue] {
        let guilds = try await get("/users/@me/guilds", query: [("with_counts", "true")], action: "list the bot's servers")
        return (guilds.arrayValue ?? []).filter { policy.allowsGuild($0["id"]?.stringValue ?? "") }
    }

    /// The guild a call names (id or exact name), or the only one the bot may use.
    func guild(_ arguments: ToolArguments) async throws(ToolFailure) -> Resolved {
        guard let reference = try arguments.string("guild"), !reference.isEmpty else {
            let guilds = try await visibleGuilds()
            guard guilds.count == 1, let only = guilds.first, let id = only["id"]?.stringValue else {
                throw ToolFailure(
                    "guild is required: the bot can use \(guilds.count) servers (\(guilds.compactMap { $0["name"]?.stringValue }.prefix(10).joined(separator: ", ")))"
                )
            }
            return Resolved(id: id, name: only["name"]?.stringValue ?? id, object: only)
        }
        if DiscordSnowflake.isValid(reference) {
            try checkGuild(reference)
            return Resolved(id: reference, name: reference, object: nil)
        }
        let guilds = try await visibleGuilds()
        let names = guilds.map { ($0["id"]?.stringValue ?? "", $0["name"]?.stringValue ?? "") }
        if let match = names.first(where: { $0.1.lowercased() == reference.lowercased() }) {
            return Resolved(id: match.0, name: match.1, object: nil)
        }
        throw ToolFailure(NameMatching.notFound("server", reference, candidates: names.map(\.1)))
    }

    func checkGuild(_ id: String) throws(ToolFailure) {
        if let refusal = policy.refusal(guildID: id, channelID: nil, isWrite: false) { throw ToolFailure(refusal) }
    }

    // MARK: channels

    /// A channel by id or name; its guild and the channel itself are checked against the policy.
    func channel(_ reference: String, in guildHint: ToolArguments? = nil) async throws(ToolFailure) -> Resolved {
        let id: String
        if DiscordSnowflake.isValid(reference) {
            id = reference
        } else {
            guard let arguments = guildHint else { throw ToolFailure("channel must be an id, not \"\(reference)\"") }
            let guild = try await guild(arguments)
            id = try await channelID(named: reference, guild: guild.id)
        }
        // Fetching the channel tells its guild, which the policy needs, and its current name.
        let channel = try await get("/channels/\(id)", action: "look up channel \(id)")
        let guildID = channel["guild_id"]?.stringValue
        if guildID == nil && !policy.allowDirectMessages {
            throw ToolFailure("channel \(id) is a direct message; direct messages are off (DISCORD_ALLOW_DMS)")
        }
        if let refusal = policy.refusal(guildID: guildID, channelID: id, isWrite: false) { throw ToolFailure(refusal) }
        if let parent = channel["parent_id"]?.stringValue, Self.isThread(channel), !policy.allowsChannel(parent) {
            throw ToolFailure("channel \(parent) is closed to this gateway (DISCORD_DENIED_CHANNEL_IDS)")
        }
        return Resolved(id: id, name: "#" + (channel["name"]?.stringValue ?? id), object: channel)
    }

    func channel(_ arguments: ToolArguments, key: String = "channel") async throws(ToolFailure) -> Resolved {
        try await channel(try arguments.requiredString(key), in: arguments)
    }

    private func channelID(named reference: String, guild: String) async throws(ToolFailure) -> String {
        let name = reference.hasPrefix("#") ? String(reference.dropFirst()) : reference
        let channels = try await get("/guilds/\(guild)/channels", action: "list the server's channels").arrayValue ?? []
        var candidates = channels.map { ($0["id"]?.stringValue ?? "", $0["name"]?.stringValue ?? "") }
        if !candidates.contains(where: { $0.1.lowercased() == name.lowercased() }) {
            let threads = try await get("/guilds/\(guild)/threads/active", action: "list the server's active threads")
            candidates += (threads["threads"]?.arrayValue ?? []).map {
                ($0["id"]?.stringValue ?? "", $0["name"]?.stringValue ?? "")
            }
        }
        if let match = candidates.first(where: { $0.1.lowercased() == name.lowercased() }) { return match.0 }
        throw ToolFailure(NameMatching.notFound("channel", "#" + name, candidates: candidates.map { "#" + $0.1 }))
    }

    static func isThread(_ channel: JSONValue) -> Bool {
        [Int64(10), 11, 12].contains(DiscordFormat.int(channel["type"]) ?? -1)
    }

    // MARK: roles and members

    func role(_ reference: String, guild: String) async throws(ToolFailure) -> Resolved {
        let roles = try await get("/guilds/\(guild)/roles", action: "list the server's roles").arrayValue ?? []
        let name = reference.hasPrefix("@") ? String(reference.dropFirst()) : reference
        if let role = roles.first(where: { $0["id"]?.stringValue == reference })
            ?? roles.first(where: { $0["name"]?.stringValue?.lowercased() == name.lowercased() })
        {
            let id = role["id"]?.stringValue ?? reference
            return Resolved(id: id, name: "@" + (role["name"]?.stringValue ?? id), object: role)
        }
        if DiscordSnowflake.isValid(reference) { throw ToolFailure("role \(reference) does not exist in this server") }
        throw ToolFailure(
            NameMatching.notFound("role", reference, candidates: roles.compactMap { $0["name"]?.stringValue }))
    }

    /// A member by user id or name (username, display name or nickname, with or without @).
    func member(_ reference: String, guild: String) async throws(ToolFailure) -> Resolved {
        if DiscordSnowflake.isValid(reference) {
            let member = try await get("/guilds/\(guild)/members/\(reference)", action: "look up member \(reference)")
            return Resolved(id: reference, name: DiscordFormat.memberName(member), object: member)
        }
        let name = reference.hasPrefix("@") ? String(reference.dropFirst()) : reference
        let found =
            try await get(
                "/guilds/\(guild)/members/search", query: [("query", name), ("limit", "25")],
                action: "search the server's members"
            ).arrayValue ?? []
        let exact = found.filter { member in
            DiscordFormat.memberNames(member).contains { $0.lowercased() == name.lowercased() }
        }
        if exact.count == 1, let member = exact.first, let id = member["user"]?["id"]?.stringValue {
            return Resolved(id: id, name: DiscordFormat.memberName(member), object: member)
        }
        if exact.count > 1 {
            let listed = exact.map { "\(DiscordFormat.memberName($0)) (\($0["user"]?["id"]?.stringValue ?? "?"))" }
            throw ToolFailure("\(exact.count) members are called \"\(name)\": \(listed.joined(separator: ", ")); use the id")
        }
        var candidates = found.map(DiscordFormat.memberName)
        if candidates.isEmpty {
            // Discord's search matches name prefixes only; a page of members gives close matches a chance.
            let some =
                try await get("/guilds/\(guild)/members", query: [("limit", "200")], action: "list the server's members")
                .arrayValue ?? []
            candidates = some.flatMap(DiscordFormat.memberNames)
        }
        throw ToolFailure(NameMatching.notFound("member", "@" + name, candidates: candidates))
    }

    func member(_ arguments: ToolArguments, guild: String, key: String = "member") async throws(ToolFailure) -> Resolved {
        try await member(try arguments.requiredString(key), guild: guild)
    }

    func role(_ arguments: ToolArguments, guild: String, key: String = "role") async throws(ToolFailure) -> Resolved {
        try await role(try arguments.requiredString(key), guild: guild)
    }
}

/// A guild, channel, role or member a call refers to, with the name to show for it.
struct Resolved: Sendable {
    let id: String
    let name: String
    let object: JSONValue?

    /// "#general (1234…)": how plans and results name it.
    var label: String { name == id ? id : "\(name) (\(id))" }
    var guildID: String? { object?["guild_id"]?.stringValue }
}
