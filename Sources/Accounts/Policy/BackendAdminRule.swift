/// Who counts as a backend admin of a guild (may define the guild's and its channels' backends).
public enum BackendAdminRule: Sendable, Equatable {
    /// The default: those who may already manage the guild in Discord, i.e. MANAGE_GUILD or
    /// ADMINISTRATOR, and the owner.
    case managePermissions
    /// Only holders of one of these roles; the owner and ADMINISTRATOR still count, since they
    /// could give themselves the role anyway.
    case roles(Set<String>)

    public func isBackendAdmin(_ member: GuildMemberRoles) -> Bool {
        // basePermissions is .all for the owner and for ADMINISTRATOR.
        let base = PermissionCalculator.basePermissions(member)
        if base.contains(.administrator) { return true }
        switch self {
        case .managePermissions:
            return base.contains(.manageGuild)
        case .roles(let roleIDs):
            return !roleIDs.isDisjoint(with: member.roleIDs)
        }
    }
}
