/// Which backends a viewer may use and which they may define, from the backend's scope alone.
/// Pure, so every path (the /mcp registry view, /me, /admin, the agent) asks the same question.
public enum ScopePolicy {
    /// Whether the backend shows up in the viewer's registry view. The operator uses global
    /// backends and their own; a member uses global ones, their guild's (if they hold one of the
    /// listed roles, when roles are listed), channels' they can view in guilds they are in, and their own.
    public static func maySee(_ scope: BackendScope, viewer: Viewer) -> Bool {
        switch (viewer, scope) {
        case (_, .global):
            return true
        case (.operator, .user(let ownerID)):
            return ownerID == Viewer.operatorUserID
        case (.operator, .guild), (.operator, .channel):
            return false
        case (.member(let standing), .guild(let guildID, let roleIDs)):
            guard let guild = standing.guilds[guildID] else { return false }
            return roleIDs.isEmpty || !guild.roleIDs.isDisjoint(with: roleIDs)
        case (.member(let standing), .channel(let guildID, let channelID)):
            return standing.guilds[guildID] != nil && standing.visibleChannels.contains(channelID)
        case (.member(let standing), .user(let ownerID)):
            return isOwn(ownerID, standing)
        }
    }

    /// Whether the viewer may edit, disable or delete the backend. The operator manages every
    /// scope; a member manages their own user backends, and a guild's or its channels' backends
    /// where they are a backend admin of that guild; never global ones.
    public static func mayManage(_ scope: BackendScope, viewer: Viewer) -> Bool {
        guard case .member(let standing) = viewer else { return true }
        switch scope {
        case .global:
            return false
        case .guild(let guildID, _), .channel(let guildID, _):
            return standing.guilds[guildID]?.isBackendAdmin == true
        case .user(let ownerID):
            return isOwn(ownerID, standing)
        }
    }

    /// Creating a backend with a scope takes the same right as managing one there.
    public static func mayCreate(_ scope: BackendScope, viewer: Viewer) -> Bool {
        mayManage(scope, viewer: viewer)
    }

    /// A member's own id, never empty and never the operator's, whatever the caller filled in.
    private static func isOwn(_ ownerID: String, _ standing: MemberStanding) -> Bool {
        !ownerID.isEmpty && ownerID != Viewer.operatorUserID && ownerID == standing.userID
    }
}
