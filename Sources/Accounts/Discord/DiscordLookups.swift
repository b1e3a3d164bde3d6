import MCPCore

/// What the member directory asks Discord, with the bot's token: Discord's objects as they come. The composition root
/// answers it with the Discord backend's REST client, which keeps to Discord's rate limits.
public protocol DiscordLookups: Sendable {
    /// `GET /guilds/{guild.id}/members/{user.id}`; nil when Discord answers that they are no member (404).
    func member(guildID: String, userID: String) async throws -> JSONValue?
    /// `GET /guilds/{guild.id}`: its owner and roles.
    func guild(_ guildID: String) async throws -> JSONValue
    /// `GET /channels/{channel.id}`; nil when there is no such channel (404).
    func channel(_ channelID: String) async throws -> JSONValue?
}

/// Reading the parts of Discord's objects that decide access.
enum DiscordObjects {
    struct GuildRoles: Sendable {
        var ownerID: String
        var roles: [String: DiscordRole]
    }

    static func guildRoles(_ guild: JSONValue) -> GuildRoles? {
        guard let ownerID = guild["owner_id"]?.stringValue, case .array(let roles)? = guild["roles"] else { return nil }
        var byID: [String: DiscordRole] = [:]
        for role in roles {
            guard let id = role["id"]?.stringValue,
                let permissions = role["permissions"]?.stringValue.flatMap(DiscordPermissions.init(discordString:))
            else { continue }
            byID[id] = DiscordRole(id: id, permissions: permissions)
        }
        return GuildRoles(ownerID: ownerID, roles: byID)
    }

    static func roleIDs(ofMember member: JSONValue) -> [String] {
        guard case .array(let ids)? = member["roles"] else { return [] }
        return ids.compactMap(\.stringValue)
    }

    /// Thread types: they take their parent channel's overwrites.
    static let threadTypes: Set<Int64> = [10, 11, 12]

    static func overwrites(of channel: JSONValue) -> [PermissionOverwrite] {
        guard case .array(let items)? = channel["permission_overwrites"] else { return [] }
        return items.compactMap { item in
            guard let id = item["id"]?.stringValue,
                let kind = item["type"].flatMap(intValue).flatMap(PermissionOverwrite.Kind.init)
            else { return nil }
            return PermissionOverwrite(
                id: id, kind: kind,
                allow: item["allow"]?.stringValue.flatMap(DiscordPermissions.init(discordString:)) ?? [],
                deny: item["deny"]?.stringValue.flatMap(DiscordPermissions.init(discordString:)) ?? [])
        }
    }

    static func intValue(_ value: JSONValue) -> Int? {
        if case .int(let number) = value { return Int(number) }
        return nil
    }
}
