// The parts of Discord's guild, role, member and channel objects that decide what a member may
// do. Ids are Discord snowflakes as decimal strings.

/// A guild role and its guild-wide permissions. The @everyone role has the guild's id.
public struct DiscordRole: Sendable, Hashable {
    public var id: String
    public var permissions: DiscordPermissions

    public init(id: String, permissions: DiscordPermissions) {
        self.id = id
        self.permissions = permissions
    }
}

/// One entry of a channel's `permission_overwrites`.
public struct PermissionOverwrite: Sendable, Hashable {
    /// Discord's overwrite `type`: 0 for a role (the guild's id for @everyone), 1 for a member.
    public enum Kind: Int, Sendable, Hashable {
        case role = 0
        case member = 1
    }

    public var id: String
    public var kind: Kind
    public var allow: DiscordPermissions
    public var deny: DiscordPermissions

    public init(id: String, kind: Kind, allow: DiscordPermissions = [], deny: DiscordPermissions = []) {
        self.id = id
        self.kind = kind
        self.allow = allow
        self.deny = deny
    }
}

/// A guild channel as far as access goes.
public struct DiscordChannelAccess: Sendable {
    public var guildID: String
    public var channelID: String
    public var overwrites: [PermissionOverwrite]

    public init(guildID: String, channelID: String, overwrites: [PermissionOverwrite]) {
        self.guildID = guildID
        self.channelID = channelID
        self.overwrites = overwrites
    }
}

/// One member of one guild, with what is needed to compute their permissions there.
public struct GuildMemberRoles: Sendable {
    public var guildID: String
    /// The member's Discord user id (the snowflake, not our "discord:…" user id).
    public var userID: String
    /// The member object's `roles`: their roles other than @everyone, which every member has.
    public var roleIDs: [String]
    /// The guild's `owner_id`.
    public var ownerID: String
    /// All of the guild's roles by id, @everyone under the guild's id.
    public var roles: [String: DiscordRole]

    public init(guildID: String, userID: String, roleIDs: [String], ownerID: String, roles: [String: DiscordRole]) {
        self.guildID = guildID
        self.userID = userID
        self.roleIDs = roleIDs
        self.ownerID = ownerID
        self.roles = roles
    }
}
