import Foundation
import GRDB
import OAuthServer

extension GatewayDatabase: ClientStore {
    public func insertClient(_ client: OAuthClient) async throws {
        try await pool.write { db in try Self.insert(client, into: db, upsert: false) }
    }

    public func upsertMetadataDocumentClient(_ client: OAuthClient) async throws {
        try await pool.write { db in try Self.insert(client, into: db, upsert: true) }
    }

    public func client(id: String) async throws -> OAuthClient? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM oauth_clients WHERE id = ?", arguments: [id]).map(Self.client(from:))
        }
    }

    static func insert(_ client: OAuthClient, into db: Database, upsert: Bool) throws {
        let redirectURIs = String(decoding: try JSONEncoder().encode(client.redirectURIs), as: UTF8.self)
        let conflict =
            upsert
            ? """
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, redirect_uris = excluded.redirect_uris,
                auth_method = excluded.auth_method, metadata = excluded.metadata
            """ : ""
        try db.execute(
            sql: """
                INSERT INTO oauth_clients (id, kind, name, redirect_uris, auth_method, secret_hash, metadata, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) \(conflict)
                """,
            arguments: [
                client.id, client.kind.rawValue, client.name, redirectURIs, client.authMethod.rawValue, client.secretHash,
                client.metadataJSON, client.createdAt.timeIntervalSince1970,
            ])
    }

    static func client(from row: Row) throws -> OAuthClient {
        let redirectURIs = try JSONDecoder().decode([String].self, from: Data((row["redirect_uris"] as String).utf8))
        return OAuthClient(
            id: row["id"], kind: OAuthClient.Kind(rawValue: row["kind"]) ?? .registered, name: row["name"],
            redirectURIs: redirectURIs, authMethod: ClientAuthMethod(rawValue: row["auth_method"]) ?? .none,
            secretHash: row["secret_hash"], metadataJSON: row["metadata"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            lastUsedAt: (row["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}

extension GatewayDatabase: ConsentTransactionStore {
    public func insertTransaction(_ transaction: ConsentTransaction) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO consent_transactions
                        (id, csrf_hash, client_id, redirect_uri, scope, state, code_challenge, resource, expires_at,
                         subject, sign_in_state_hash, sign_in_verifier)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    transaction.id, transaction.csrfHash, transaction.clientID, transaction.redirectURI, transaction.scope,
                    transaction.state, transaction.codeChallenge, transaction.resource,
                    transaction.expiresAt.timeIntervalSince1970, transaction.subject, transaction.signIn?.stateHash,
                    transaction.signIn?.codeVerifier,
                ])
        }
    }

    public func transaction(id: String) async throws -> ConsentTransaction? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM consent_transactions WHERE id = ?", arguments: [id])
                .map(Self.transaction(from:))
        }
    }

    public func consumeTransaction(id: String) async throws -> ConsentTransaction? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM consent_transactions WHERE id = ?", arguments: [id])
            else { return nil }
            try db.execute(sql: "DELETE FROM consent_transactions WHERE id = ?", arguments: [id])
            return Self.transaction(from: row)
        }
    }

    public func startSignIn(transactionID: String, _ signIn: PendingSignIn) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE consent_transactions SET sign_in_state_hash = ?, sign_in_verifier = ? WHERE id = ?",
                arguments: [signIn.stateHash, signIn.codeVerifier, transactionID])
            return db.changesCount == 1
        }
    }

    public func finishSignIn(transactionID: String, stateHash: String) async throws -> ConsentTransaction? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM consent_transactions WHERE id = ?", arguments: [transactionID]),
                let stored = row["sign_in_state_hash"] as String?,
                TokenCrypto.constantTimeEquals(stored, stateHash)
            else { return nil }
            try db.execute(
                sql: "UPDATE consent_transactions SET sign_in_state_hash = NULL, sign_in_verifier = NULL WHERE id = ?",
                arguments: [transactionID])
            return Self.transaction(from: row)
        }
    }

    public func bindSubject(transactionID: String, subject: String, csrfHash: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE consent_transactions SET subject = ?, csrf_hash = ? WHERE id = ?",
                arguments: [subject, csrfHash, transactionID])
            return db.changesCount == 1
        }
    }

    static func transaction(from row: Row) -> ConsentTransaction {
        let signIn = (row["sign_in_state_hash"] as String?).map { hash in
            PendingSignIn(stateHash: hash, codeVerifier: row["sign_in_verifier"] ?? "")
        }
        return ConsentTransaction(
            id: row["id"], csrfHash: row["csrf_hash"], clientID: row["client_id"], redirectURI: row["redirect_uri"],
            scope: row["scope"], state: row["state"], codeChallenge: row["code_challenge"], resource: row["resource"],
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]), subject: row["subject"], signIn: signIn)
    }
}

extension GatewayDatabase: OperatorCredentialStore {
    static let passwordHashKey = "operator_password_hash"

    public func operatorPasswordHash() async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM operator_settings WHERE key = ?", arguments: [Self.passwordHashKey])
        }
    }

    public func setOperatorPasswordHash(_ hash: String) async throws {
        _ = try await changeOperatorPasswordHash(hash, revokingGrantsAt: nil)
    }

    /// Stores a new operator password hash and, with `revokingGrantsAt`, revokes every live grant and its tokens in
    /// the same transaction. Returns how many grants were revoked.
    public func changeOperatorPasswordHash(_ hash: String, revokingGrantsAt revokedAt: Date?) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql:
                    "INSERT INTO operator_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [Self.passwordHashKey, hash])
            guard let revokedAt else { return 0 }
            let at = revokedAt.timeIntervalSince1970
            try db.execute(sql: "UPDATE oauth_grants SET revoked_at = ? WHERE revoked_at IS NULL", arguments: [at])
            let grants = db.changesCount
            try db.execute(sql: "UPDATE oauth_tokens SET revoked_at = ? WHERE revoked_at IS NULL", arguments: [at])
            return grants
        }
    }
}
