import Foundation

/// Members' accounts: who may sign in (a member of at least one allowed guild), their user rows, and what is known
/// of them now, as the scope policy needs it.
public struct MemberAccounts: Sendable {
    public let users: any UserStore
    public let directory: MemberDirectory

    public init(users: any UserStore, directory: MemberDirectory) {
        self.users = users
        self.directory = directory
    }

    public enum SignInOutcome: Sendable {
        case signedIn(User)
        /// Not a member of any guild this gateway serves: the message says so without naming the guilds.
        case refused(String)
    }

    /// Decides whether the Discord user who just proved who they are may sign in, and records them when they may.
    public func signIn(discordID: String, username: String, displayName: String?, avatar: String?, now: Date = Date())
        async throws -> SignInOutcome
    {
        await directory.forget(discordUserID: discordID)
        let standing = await directory.standing(userID: User.id(forDiscordID: discordID), discordUserID: discordID)
        guard !standing.guilds.isEmpty else {
            return .refused(
                "Your Discord account (\(username)) is not a member of a Discord server this gateway serves. "
                    + "Ask its moderators for an invitation, then sign in again.")
        }
        let name = displayName.flatMap { $0.isEmpty ? nil : $0 } ?? username
        return .signedIn(try await users.recordSignIn(discordID: discordID, name: name, avatar: avatar, at: now))
    }

    /// Who `userID` is to the scope policy now: the operator, or a member with their current guilds and the channels
    /// among `channels` they can view; nil for an id nobody has.
    public func viewer(userID: String, channels: Set<String> = []) async -> Viewer? {
        if userID == User.operatorID { return .operator }
        guard let discordID = User.discordID(inUserID: userID) else { return nil }
        return .member(await directory.standing(userID: userID, discordUserID: discordID, channels: channels))
    }
}
