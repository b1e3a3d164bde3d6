/// Discord's own permission computation, as its docs give it in pseudo-code (Topics → Permissions
/// → Permission Overwrites): who may see a channel must be decided the way Discord decides it, or a
/// backend scoped to a private channel would leak to members who cannot read that channel.
public enum PermissionCalculator {
    /// Guild-level permissions: everything for the owner; else @everyone's permissions OR those of
    /// each of the member's roles, and everything if that includes ADMINISTRATOR.
    public static func basePermissions(_ member: GuildMemberRoles) -> DiscordPermissions {
        if member.userID == member.ownerID { return .all }
        var permissions = member.roles[member.guildID]?.permissions ?? []
        for roleID in member.roleIDs {
            permissions.formUnion(member.roles[roleID]?.permissions ?? [])
        }
        return permissions.contains(.administrator) ? .all : permissions
    }

    /// Permissions in one channel: the base permissions, then the @everyone overwrite, then the
    /// member's role overwrites together (every deny removed, then every allow added, so an allow on
    /// any of their roles beats a deny on another), then the member's own overwrite. ADMINISTRATOR
    /// (or ownership) overrides every overwrite. A channel of another guild grants nothing.
    public static func channelPermissions(
        _ member: GuildMemberRoles, in channel: DiscordChannelAccess
    ) -> DiscordPermissions {
        guard channel.guildID == member.guildID else { return [] }
        let base = basePermissions(member)
        if base.contains(.administrator) { return .all }

        var permissions = base
        if let everyone = channel.overwrites.first(where: { $0.kind == .role && $0.id == channel.guildID }) {
            permissions.subtract(everyone.deny)
            permissions.formUnion(everyone.allow)
        }

        let memberRoles = Set(member.roleIDs).subtracting([channel.guildID])
        var allow: DiscordPermissions = []
        var deny: DiscordPermissions = []
        for overwrite in channel.overwrites where overwrite.kind == .role && memberRoles.contains(overwrite.id) {
            allow.formUnion(overwrite.allow)
            deny.formUnion(overwrite.deny)
        }
        permissions.subtract(deny)
        permissions.formUnion(allow)

        if let own = channel.overwrites.first(where: { $0.kind == .member && $0.id == member.userID }) {
            permissions.subtract(own.deny)
            permissions.formUnion(own.allow)
        }
        return permissions
    }

    /// Whether the member has VIEW_CHANNEL there: what "can see the channel" means in Discord.
    public static func canView(_ member: GuildMemberRoles, channel: DiscordChannelAccess) -> Bool {
        channelPermissions(member, in: channel).contains(.viewChannel)
    }
}
