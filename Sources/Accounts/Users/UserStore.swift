import Foundation

/// Where users are kept. Storage implements it on SQLite; `InMemoryUserStore` is the reference for tests.
public protocol UserStore: Sendable {
    /// Creates the member's row on their first sign-in (with a fresh key salt), or refreshes their name, avatar and
    /// last sign-in; returns the row as stored.
    func recordSignIn(discordID: String, name: String, avatar: String?, at now: Date) async throws -> User
    func user(id: String) async throws -> User?
    /// Every user, the operator first, then by name.
    func users() async throws -> [User]
}

/// Users in memory: for tests, and the reference the store conformance suite holds every engine to.
public actor InMemoryUserStore: UserStore {
    private var rows: [String: User]

    public init(now: Date = Date()) {
        rows = [
            User.operatorID: User(
                id: User.operatorID, discordID: nil, name: "operator", avatar: nil, keySalt: SecretSealer.newOwnerSalt(),
                firstSeenAt: now, lastSeenAt: now)
        ]
    }

    public func recordSignIn(discordID: String, name: String, avatar: String?, at now: Date) -> User {
        let id = User.id(forDiscordID: discordID)
        var user =
            rows[id]
            ?? User(
                id: id, discordID: discordID, name: name, avatar: avatar, keySalt: SecretSealer.newOwnerSalt(),
                firstSeenAt: now, lastSeenAt: now)
        user.name = name
        user.avatar = avatar
        user.lastSeenAt = now
        rows[id] = user
        return user
    }

    public func user(id: String) -> User? { rows[id] }

    public func users() -> [User] {
        rows.values.sorted { lhs, rhs in
            if (lhs.id == User.operatorID) != (rhs.id == User.operatorID) { return lhs.id == User.operatorID }
            return (lhs.name, lhs.id) < (rhs.name, rhs.id)
        }
    }
}
