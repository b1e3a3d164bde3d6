import Foundation
import GRDB
import OAuthServer

extension GatewayDatabase: PersonalTokenStore {
    /// How stale `last_used_at` may get: a scrape every few seconds must not mean a write every few seconds.
    static let lastUseResolution: TimeInterval = 60

    public func insertPersonalToken(_ token: PersonalToken, hash: String) async throws {
        try await pool.write { db in
            // The partial unique index would refuse it too; asking first gives the operator a clear message.
            let taken = try Bool.fetchOne(
                db, sql: "SELECT EXISTS(SELECT 1 FROM personal_tokens WHERE name = ? AND revoked_at IS NULL)",
                arguments: [token.name])
            if taken == true { throw PersonalTokenError.nameTaken(token.name) }
            try db.execute(
                sql: """
                    INSERT INTO personal_tokens (id, name, token_hash, scope, created_at, expires_at, backends)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    token.id, token.name, hash, token.scopes.sorted().joined(separator: " "),
                    token.createdAt.timeIntervalSince1970,
                    token.expiresAt?.timeIntervalSince1970,
                    token.backends?.joined(separator: " "),
                ])
        }
    }

    public func personalTokens() async throws -> [PersonalToken] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM personal_tokens ORDER BY created_at DESC, rowid DESC").map(
                Self.personalToken)
        }
    }

    public func usePersonalToken(hash: String, now: Date) async throws -> PersonalToken? {
        let found = try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM personal_tokens WHERE token_hash = ?", arguments: [hash]).map(
                Self.personalToken)
        }
        guard var token = found, token.isLive(at: now) else { return nil }
        if token.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.lastUseResolution }) ?? true {
            let id = token.id
            try await pool.write { db in
                try db.execute(
                    sql: "UPDATE personal_tokens SET last_used_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, id])
            }
            token.lastUsedAt = now
        }
        return token
    }

    public func revokePersonalToken(idOrName: String, now: Date) async throws -> PersonalToken? {
        try await pool.write { db in
            guard
                var token = try Row.fetchOne(
                    db, sql: "SELECT * FROM personal_tokens WHERE (id = ? OR name = ?) AND revoked_at IS NULL",
                    arguments: [idOrName, idOrName]
                ).map(Self.personalToken)
            else { return nil }
            try db.execute(
                sql: "UPDATE personal_tokens SET revoked_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, token.id])
            token.revokedAt = now
            return token
        }
    }

    static func personalToken(from row: Row) -> PersonalToken {
        PersonalToken(
            id: row["id"], name: row["name"], scopes: Set((row["scope"] as String).split(separator: " ").map(String.init)),
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastUsedAt: (row["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            backends: (row["backends"] as String?).map { $0.split(separator: " ").map(String.init) })
    }
}
