import Accounts
import Foundation
import GRDB
import UpstreamAuth

extension GatewayDatabase: UpstreamTokenStore {
    public func grant(backend: String, userID: String) async throws -> UpstreamGrant? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM upstream_grants WHERE backend = ? AND user_id = ?", arguments: [backend, userID]
            ).map(Self.grant(from:))
        }
    }

    public func saveGrant(_ grant: UpstreamGrant) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO upstream_grants
                        (backend, user_id, sealed_access_token, sealed_refresh_token, expires_at, scope, resource, obtained_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    grant.backend, grant.userID, grant.sealedAccessToken, grant.sealedRefreshToken,
                    grant.expiresAt?.timeIntervalSince1970, grant.scope, grant.resource, grant.obtainedAt.timeIntervalSince1970,
                ])
        }
    }

    public func deleteGrant(backend: String, userID: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM upstream_grants WHERE backend = ? AND user_id = ?", arguments: [backend, userID])
        }
    }

    public func grants(userID: String) async throws -> [UpstreamGrant] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM upstream_grants WHERE user_id = ? ORDER BY backend", arguments: [userID]
            ).map(Self.grant(from:))
        }
    }

    public func grantCount(backend: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upstream_grants WHERE backend = ?", arguments: [backend]) ?? 0
        }
    }

    public func grants(backend: String) async throws -> [UpstreamGrant] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM upstream_grants WHERE backend = ? ORDER BY user_id", arguments: [backend]
            ).map(Self.grant(from:))
        }
    }

    public func usersWithGrants() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT user_id FROM upstream_grants ORDER BY user_id")
        }
    }

    public func registeredClient(backend: String) async throws -> UpstreamClient? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM upstream_clients WHERE backend = ?", arguments: [backend]).map {
                row in
                UpstreamClient(
                    backend: row["backend"], issuer: row["issuer"], clientID: row["client_id"],
                    sealedClientSecret: row["sealed_client_secret"], authMethod: row["auth_method"],
                    registeredAt: Date(timeIntervalSince1970: row["registered_at"]))
            }
        }
    }

    public func deleteRegisteredClient(backend: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM upstream_clients WHERE backend = ?", arguments: [backend])
        }
    }

    public func saveRegisteredClient(_ client: UpstreamClient) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO upstream_clients
                        (backend, issuer, client_id, sealed_client_secret, auth_method, registered_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    client.backend, client.issuer, client.clientID, client.sealedClientSecret, client.authMethod,
                    client.registeredAt.timeIntervalSince1970,
                ])
        }
    }

    static func grant(from row: Row) -> UpstreamGrant {
        UpstreamGrant(
            backend: row["backend"], userID: row["user_id"], sealedAccessToken: row["sealed_access_token"],
            sealedRefreshToken: row["sealed_refresh_token"],
            expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)), scope: row["scope"],
            resource: row["resource"], obtainedAt: Date(timeIntervalSince1970: row["obtained_at"]))
    }
}

extension GatewayDatabase {
    /// Key rotation's share of the upstream tables: members' tokens and the registrations' client secrets.
    static func resealUpstreamSecrets(in db: Database, _ reseal: @Sendable (SealedValue) throws -> String) throws {
        for row in try Row.fetchAll(db, sql: "SELECT * FROM upstream_grants") {
            let grant = Self.grant(from: row)
            func resealed(_ sealed: String, _ field: UpstreamSealing.Field) throws -> String {
                try reseal(
                    SealedValue(
                        userID: grant.userID,
                        context: UpstreamSealing.grantContext(backend: grant.backend, userID: grant.userID, field: field),
                        sealed: sealed))
            }
            try db.execute(
                sql: """
                    UPDATE upstream_grants SET sealed_access_token = ?, sealed_refresh_token = ?
                    WHERE backend = ? AND user_id = ?
                    """,
                arguments: [
                    try resealed(grant.sealedAccessToken, .accessToken),
                    try grant.sealedRefreshToken.map { try resealed($0, .refreshToken) }, grant.backend, grant.userID,
                ])
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT backend, sealed_client_secret FROM upstream_clients WHERE sealed_client_secret IS NOT NULL")
        {
            let backend: String = row["backend"]
            let value = try reseal(
                SealedValue(
                    userID: UpstreamSealing.clientOwner, context: UpstreamSealing.clientContext(backend: backend),
                    sealed: row["sealed_client_secret"]))
            try db.execute(
                sql: "UPDATE upstream_clients SET sealed_client_secret = ? WHERE backend = ?", arguments: [value, backend])
        }
    }
}
