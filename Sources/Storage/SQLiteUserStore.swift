import Accounts
import Foundation
import GRDB

extension GatewayDatabase: UserStore {
    public func recordSignIn(discordID: String, name: String, avatar: String?, at now: Date) async throws -> User {
        let id = User.id(forDiscordID: discordID)
        return try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO users (id, discord_id, name, avatar, key_salt, first_seen_at, last_seen_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET name = excluded.name, avatar = excluded.avatar,
                        last_seen_at = excluded.last_seen_at
                    """,
                arguments: [
                    id, discordID, name, avatar, Data(SecretSealer.newOwnerSalt()), now.timeIntervalSince1970,
                    now.timeIntervalSince1970,
                ])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]) else {
                throw DatabaseError(message: "the user row just written is not there")
            }
            return Self.user(from: row)
        }
    }

    public func user(id: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map(Self.user(from:))
        }
    }

    public func users() async throws -> [User] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM users ORDER BY id = 'operator' DESC, name, id"
            ).map(Self.user(from:))
        }
    }

    static func user(from row: Row) -> User {
        User(
            id: row["id"], discordID: row["discord_id"], name: row["name"], avatar: row["avatar"],
            keySalt: [UInt8]((row["key_salt"] as Data?) ?? Data()),
            firstSeenAt: Date(timeIntervalSince1970: row["first_seen_at"]),
            lastSeenAt: Date(timeIntervalSince1970: row["last_seen_at"]))
    }
}
