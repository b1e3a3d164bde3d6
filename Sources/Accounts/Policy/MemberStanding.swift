/// What is known about one signed-in member right now, gathered by the caller from Discord (at
/// sign-in and on refresh) so that the scope policy itself is pure and needs no network.
public struct MemberStanding: Sendable {
    /// Our user id, e.g. "discord:1234".
    public var userID: String
    /// The allowed guilds the member is in, by guild id.
    public var guilds: [String: GuildStanding]
    /// Ids of the channels, among those that scoped backends name, that the member can view
    /// (computed with `PermissionCalculator.canView`).
    public var visibleChannels: Set<String>

    public init(userID: String, guilds: [String: GuildStanding] = [:], visibleChannels: Set<String> = []) {
        self.userID = userID
        self.guilds = guilds
        self.visibleChannels = visibleChannels
    }
}

/// The member's place in one guild.
public struct GuildStanding: Sendable {
    public var guildID: String
    /// Their role ids in that guild.
    public var roleIDs: Set<String>
    /// Whether they may manage the guild's and its channels' backends (see `BackendAdminRule`).
    public var isBackendAdmin: Bool

    public init(guildID: String, roleIDs: Set<String> = [], isBackendAdmin: Bool = false) {
        self.guildID = guildID
        self.roleIDs = roleIDs
        self.isBackendAdmin = isBackendAdmin
    }
}
