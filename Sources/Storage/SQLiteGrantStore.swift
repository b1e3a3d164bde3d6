import Foundation
import GRDB
import OAuthServer

extension GatewayDatabase: GrantStore {
    public func approve(transactionID: String, grant: Grant, code: AuthorizationCode) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM consent_transactions WHERE id = ?", arguments: [transactionID])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: """
                    INSERT INTO oauth_grants (id, client_id, scope, resource, created_at, subject, selection)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    grant.id, grant.clientID, grant.scope, grant.resource, grant.createdAt.timeIntervalSince1970,
                    grant.subject, grant.selection.map(Self.encodeSelection),
                ])
            try db.execute(
                sql: """
                    INSERT INTO authorization_codes
                        (code_hash, grant_id, client_id, redirect_uri, scope, code_challenge, resource, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    code.codeHash, code.grantID, code.clientID, code.redirectURI, code.scope, code.codeChallenge,
                    code.resource, code.expiresAt.timeIntervalSince1970,
                ])
            return true
        }
    }

    public func redeemCode(
        hash: String, now: Date, decide: @Sendable (AuthorizationCode) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange {
        try await pool.write { db -> TokenExchange in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM authorization_codes WHERE code_hash = ?", arguments: [hash])
            else { return .unknown }
            let code = Self.code(from: row)
            if code.usedAt != nil {
                try Self.revokeGrant(code.grantID, in: db, now: now)
                return .replayed
            }
            guard try Self.isGrantLive(code.grantID, in: db) else { return .unknown }
            switch decide(code) {
            case .failure(let error):
                return .rejected(error)
            case .success(let tokens):
                try db.execute(
                    sql: "UPDATE authorization_codes SET used_at = ? WHERE code_hash = ?",
                    arguments: [now.timeIntervalSince1970, hash])
                try Self.store(tokens, in: db, now: now)
                return .issued(tokens)
            }
        }
    }

    public func exchangeRefreshToken(
        hash: String, now: Date, grace: TimeInterval, decide: @Sendable (TokenRecord) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange {
        try await pool.write { db -> TokenExchange in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM oauth_tokens WHERE token_hash = ? AND kind = 'refresh'", arguments: [hash])
            else { return .unknown }
            let token = Self.token(from: row)
            guard token.revokedAt == nil, token.expiresAt > now, try Self.isGrantLive(token.grantID, in: db) else {
                return .unknown
            }
            if let rotatedAt = token.rotatedAt, now.timeIntervalSince(rotatedAt) > grace {
                try Self.revokeGrant(token.grantID, in: db, now: now)
                return .replayed
            }
            switch decide(token) {
            case .failure(let error):
                return .rejected(error)
            case .success(let tokens):
                if token.rotatedAt == nil {
                    try db.execute(
                        sql: "UPDATE oauth_tokens SET rotated_at = ? WHERE token_hash = ?",
                        arguments: [now.timeIntervalSince1970, hash])
                }
                try Self.store(tokens, in: db, now: now)
                return .issued(tokens)
            }
        }
    }

    public func accessGrant(tokenHash: String, now: Date) async throws -> AccessGrant? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT t.*, g.subject AS grant_subject, g.selection AS grant_selection
                        FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id
                        WHERE t.token_hash = ? AND t.kind = 'access' AND t.revoked_at IS NULL
                          AND g.revoked_at IS NULL AND t.expires_at > ?
                        """,
                    arguments: [tokenHash, now.timeIntervalSince1970])
            else { return nil }
            let token = Self.token(from: row)
            return AccessGrant(
                clientID: token.clientID, grantID: token.grantID,
                scopes: Set(token.scope.split(separator: " ").map(String.init)), resource: token.resource,
                expiresAt: token.expiresAt,
                backendSelection: (row["grant_selection"] as String?).map { Set(Self.decodeSelection($0)) },
                subject: row["grant_subject"])
        }
    }

    public func revoke(tokenHash: String, clientID: String, now: Date) async throws {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT kind, grant_id, client_id FROM oauth_tokens WHERE token_hash = ?", arguments: [tokenHash]),
                (row["client_id"] as String) == clientID
            else { return }
            if (row["kind"] as String) == TokenKind.refresh.rawValue {
                try Self.revokeGrant(row["grant_id"], in: db, now: now)
            } else {
                try db.execute(
                    sql: "UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                    arguments: [now.timeIntervalSince1970, tokenHash])
            }
        }
    }

    public func counts(now: Date) async throws -> TokenCounts {
        try await pool.read { db in
            let clients = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM oauth_clients") ?? 0
            let live = """
                SELECT COUNT(*) FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id
                WHERE t.kind = ? AND t.revoked_at IS NULL AND g.revoked_at IS NULL AND t.expires_at > ?
                """
            let access = try Int.fetchOne(db, sql: live, arguments: ["access", now.timeIntervalSince1970]) ?? 0
            let refresh =
                try Int.fetchOne(db, sql: live + " AND t.rotated_at IS NULL", arguments: ["refresh", now.timeIntervalSince1970])
                ?? 0
            return TokenCounts(clients: clients, accessTokens: access, refreshTokens: refresh)
        }
    }

    public func purge(now: Date, unusedClientsBefore: Date) async throws -> PurgeSummary {
        try await pool.write { db in
            let cutoff = now.timeIntervalSince1970
            var summary = PurgeSummary()
            try db.execute(sql: "DELETE FROM consent_transactions WHERE expires_at <= ?", arguments: [cutoff])
            summary.transactions = db.changesCount
            try db.execute(sql: "DELETE FROM authorization_codes WHERE expires_at <= ?", arguments: [cutoff])
            summary.codes = db.changesCount
            try db.execute(sql: "DELETE FROM oauth_tokens WHERE expires_at <= ?", arguments: [cutoff])
            summary.tokens = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM oauth_grants WHERE id NOT IN (SELECT grant_id FROM oauth_tokens)
                      AND id NOT IN (SELECT grant_id FROM authorization_codes)
                    """)
            try db.execute(
                sql: "DELETE FROM oauth_clients WHERE first_token_at IS NULL AND created_at <= ?",
                arguments: [unusedClientsBefore.timeIntervalSince1970])
            summary.clients = db.changesCount
            return summary
        }
    }

    // MARK: shared steps, always inside a write transaction

    static func store(_ tokens: [TokenRecord], in db: Database, now: Date) throws {
        for token in tokens {
            try db.execute(
                sql: """
                    INSERT INTO oauth_tokens (token_hash, kind, grant_id, client_id, scope, resource, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    token.tokenHash, token.kind.rawValue, token.grantID, token.clientID, token.scope, token.resource,
                    token.createdAt.timeIntervalSince1970, token.expiresAt.timeIntervalSince1970,
                ])
        }
        if let clientID = tokens.first?.clientID {
            try db.execute(
                sql: "UPDATE oauth_clients SET first_token_at = COALESCE(first_token_at, ?), last_used_at = ? WHERE id = ?",
                arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, clientID])
        }
    }

    static func revokeGrant(_ grantID: String, in db: Database, now: Date) throws {
        try db.execute(
            sql: "UPDATE oauth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            arguments: [now.timeIntervalSince1970, grantID])
        try db.execute(
            sql: "UPDATE oauth_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
            arguments: [now.timeIntervalSince1970, grantID])
    }

    static func isGrantLive(_ grantID: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT revoked_at IS NULL FROM oauth_grants WHERE id = ?", arguments: [grantID]) ?? false
    }

    static func code(from row: Row) -> AuthorizationCode {
        AuthorizationCode(
            codeHash: row["code_hash"], grantID: row["grant_id"], clientID: row["client_id"],
            redirectURI: row["redirect_uri"], scope: row["scope"], codeChallenge: row["code_challenge"],
            resource: row["resource"], expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            usedAt: (row["used_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    static func token(from row: Row) -> TokenRecord {
        TokenRecord(
            tokenHash: row["token_hash"], kind: TokenKind(rawValue: row["kind"]) ?? .access, grantID: row["grant_id"],
            clientID: row["client_id"], scope: row["scope"], resource: row["resource"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            rotatedAt: (row["rotated_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}

extension GatewayDatabase {
    /// A grant's selection as stored: a JSON array of choice ids.
    static func encodeSelection(_ ids: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(ids)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// A stored selection; one that does not parse selects nothing rather than everything.
    static func decodeSelection(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
