import Foundation

/// Someone the gateway knows: the operator, or a member who signed in with Discord. Every backend and grant has one
/// as its owner; each user's secrets are sealed under a key derived from the master key and `keySalt`.
public struct User: Sendable, Equatable {
    public var id: String
    public var discordID: String?
    /// The name members see (Discord's display name, else the username).
    public var name: String
    /// Discord's avatar hash, when set.
    public var avatar: String?
    public var keySalt: [UInt8]
    public var firstSeenAt: Date
    public var lastSeenAt: Date

    public init(
        id: String, discordID: String?, name: String, avatar: String?, keySalt: [UInt8], firstSeenAt: Date, lastSeenAt: Date
    ) {
        self.id = id
        self.discordID = discordID
        self.name = name
        self.avatar = avatar
        self.keySalt = keySalt
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
    }

    /// The operator's id: the subject of every grant approved with the operator password.
    public static let operatorID = Viewer.operatorUserID

    /// A member's id: their Discord id, marked so that it can never be taken for the operator's or another kind.
    public static func id(forDiscordID discordID: String) -> String { "discord:" + discordID }

    /// The Discord id inside a member's user id; nil for the operator.
    public static func discordID(inUserID id: String) -> String? {
        id.hasPrefix("discord:") ? String(id.dropFirst("discord:".count)) : nil
    }

    /// Discord's CDN address of the avatar, for the pages.
    public var avatarURL: String? {
        guard let discordID, let avatar else { return nil }
        return "https://cdn.discordapp.com/avatars/\(discordID)/\(avatar).png?size=64"
    }
}
