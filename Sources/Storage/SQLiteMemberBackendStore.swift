import Accounts
import Foundation
import GRDB

/// Member backends and members' own credentials on SQLite. The UNIQUE (name_scope, name) constraint keeps names unique
/// within a scope; credentials go with their backend by ON DELETE CASCADE (the pool enables foreign keys).
extension GatewayDatabase: MemberBackendStore {
    static let sealingKeyCheckKey = "sealing_key_check"

    public func insertBackend(_ backend: MemberBackend) async throws {
        try await pool.write { db in
            let columns = MemberBackendColumns.names
            try Self.refusingTakenName(backend.name) {
                try db.execute(
                    sql: """
                        INSERT INTO member_backends (\(columns.joined(separator: ", ")))
                        VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
                        """,
                    arguments: try MemberBackendColumns.arguments(for: backend))
            }
        }
    }

    public func updateBackend(_ backend: MemberBackend) async throws -> Bool {
        try await pool.write { db in
            // The same arguments as an insert, by number: ?1 is the id that names the row, the rest its new values.
            let assignments = MemberBackendColumns.names.enumerated().dropFirst().map { "\($1) = ?\($0 + 1)" }
            try Self.refusingTakenName(backend.name) {
                try db.execute(
                    sql: "UPDATE member_backends SET \(assignments.joined(separator: ", ")) WHERE id = ?1",
                    arguments: try MemberBackendColumns.arguments(for: backend))
            }
            return db.changesCount == 1
        }
    }

    public func deleteBackend(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM member_backends WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func backend(id: String) async throws -> MemberBackend? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM member_backends WHERE id = ?", arguments: [id])
                .flatMap(MemberBackendColumns.backend(from:))
        }
    }

    /// Rows that do not read back are left out (see `MemberBackendColumns.backend(from:)`).
    public func allBackends() async throws -> [MemberBackend] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM member_backends ORDER BY name, id")
                .compactMap(MemberBackendColumns.backend(from:))
        }
    }

    public func setMemberCredential(backendID: String, userID: String, header: String, sealed: String?) async throws {
        try await pool.write { db in
            guard let sealed else {
                try db.execute(
                    sql: "DELETE FROM member_backend_credentials WHERE backend_id = ? AND user_id = ? AND header = ?",
                    arguments: [backendID, userID, header])
                return
            }
            // A credential for a backend that is not there is dropped, as the reference store drops it.
            try db.execute(
                sql: """
                    INSERT INTO member_backend_credentials (backend_id, user_id, header, sealed)
                    SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM member_backends WHERE id = ?)
                    ON CONFLICT (backend_id, user_id, header) DO UPDATE SET sealed = excluded.sealed
                    """,
                arguments: [backendID, userID, header, sealed, backendID])
        }
    }

    public func memberCredentials(backendID: String, userID: String) async throws -> [String: String] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT header, sealed FROM member_backend_credentials WHERE backend_id = ? AND user_id = ?",
                arguments: [backendID, userID])
            var values: [String: String] = [:]
            for row in rows {
                guard let header = try? row.decode(String.self, forColumn: "header"),
                    let sealed = try? row.decode(String.self, forColumn: "sealed")
                else { continue }
                values[header] = sealed
            }
            return values
        }
    }

    public func sealingKeyCheck() async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT value FROM operator_settings WHERE key = ?", arguments: [Self.sealingKeyCheckKey])
        }
    }

    public func setSealingKeyCheck(_ check: String) async throws {
        try await pool.write { db in try Self.storeSealingKeyCheck(check, in: db) }
    }

    /// One write transaction: a throw from `reseal` (or the database) rolls every value and the key check back. Rows
    /// that do not read back are left as they are, with their members' credentials; they were unusable already.
    public func resealAll(keyCheck: String, _ reseal: @Sendable (SealedValue) throws -> String) async throws {
        try await pool.write { db in
            var resealed: [String: MemberBackend] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM member_backends") {
                guard var backend = MemberBackendColumns.backend(from: row) else { continue }
                for (name, sealed) in backend.sealedHeaders {
                    backend.sealedHeaders[name] = try reseal(
                        SealedValue(userID: backend.ownerID, context: backend.sealContext(header: name), sealed: sealed))
                }
                for (name, sealed) in backend.sealedEnvironment {
                    backend.sealedEnvironment[name] = try reseal(
                        SealedValue(userID: backend.ownerID, context: backend.sealContext(environment: name), sealed: sealed))
                }
                if let sealed = backend.oauth?.sealedClientSecret {
                    let value = SealedValue(
                        userID: backend.ownerID, context: backend.sealContextOAuthClientSecret, sealed: sealed)
                    backend.oauth?.sealedClientSecret = try reseal(value)
                }
                try db.execute(
                    sql: "UPDATE member_backends SET sealed_headers = ?, sealed_environment = ?, oauth = ? WHERE id = ?",
                    arguments: try MemberBackendColumns.sealedArguments(for: backend))
                resealed[backend.id] = backend
            }
            for row in try Row.fetchAll(db, sql: "SELECT backend_id, user_id, header, sealed FROM member_backend_credentials") {
                guard let backendID = try? row.decode(String.self, forColumn: "backend_id"),
                    let backend = resealed[backendID],
                    let userID = try? row.decode(String.self, forColumn: "user_id"),
                    let header = try? row.decode(String.self, forColumn: "header"),
                    let sealed = try? row.decode(String.self, forColumn: "sealed")
                else { continue }
                let value = try reseal(
                    SealedValue(
                        userID: userID, context: backend.sealContext(memberHeader: header, userID: userID), sealed: sealed))
                try db.execute(
                    sql: "UPDATE member_backend_credentials SET sealed = ? WHERE backend_id = ? AND user_id = ? AND header = ?",
                    arguments: [value, backendID, userID, header])
            }
            try Self.resealUpstreamSecrets(in: db, reseal)
            try Self.storeSealingKeyCheck(keyCheck, in: db)
        }
    }

    static func storeSealingKeyCheck(_ check: String, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO operator_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [sealingKeyCheckKey, check])
    }

    /// Runs `write`, turning the UNIQUE (name_scope, name) constraint's refusal into the store's own error.
    static func refusingTakenName(_ name: String, _ write: () throws -> Void) throws {
        do {
            try write()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw MemberBackendStoreError.nameTaken(name)
        }
    }
}
