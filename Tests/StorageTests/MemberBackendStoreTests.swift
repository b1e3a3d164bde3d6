import Accounts
import Foundation
import GRDB
import Testing

@testable import Storage

/// What only the SQLite member backend store has to answer for: its row layout, and rows edited behind its back.
/// The behaviour every engine shares is in StoreConformanceTests.
@Suite final class MemberBackendStoreTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("backends-\(UUID().uuidString)")
    var path: String { folder.appendingPathComponent("gateway.sqlite").path }
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Each case has an instance of its own: its database goes with it.
    deinit { try? FileManager.default.removeItem(at: folder) }

    func backend(_ id: String, name: String, transport: MemberBackend.Transport? = nil) -> MemberBackend {
        MemberBackend(
            id: id, ownerID: "discord:1", scope: .guild(guildID: "g1", roleIDs: ["r1"]), name: name,
            transport: transport ?? .streamableHTTP(url: "https://mcp.example/\(name)"),
            sealedHeaders: ["Authorization": "s-\(id)"], sealedEnvironment: ["TOKEN": "e-\(id)"], memberHeaders: ["X-Key"],
            createdAt: now, updatedAt: now, updatedBy: "discord:1")
    }

    /// The column shapes as documented, spelled out here rather than borrowed from the store.
    struct ScopeColumn: Decodable, Equatable {
        var kind: String
        var guildID: String?
        var roleIDs: [String]?

        enum CodingKeys: String, CodingKey {
            case kind
            case guildID = "guild_id"
            case roleIDs = "role_ids"
        }
    }

    struct TransportColumn: Decodable, Equatable {
        var type: String
        var url: String?
        var command: String?
        var arguments: [String]?
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ text: String?) throws -> Value {
        try JSONDecoder().decode(type, from: Data((text ?? "").utf8))
    }

    @Test func theRowHoldsTheDocumentedJSON() async throws {
        let database = try GatewayDatabase(path: path)
        try await database.insertBackend(backend("b1", name: "files", transport: .stdio(command: "files", arguments: ["-v"])))
        try await database.insertBackend(backend("b2", name: "docs"))
        let rows = try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM member_backends ORDER BY id").map { row in
                Dictionary(uniqueKeysWithValues: row.columnNames.map { ($0, row[$0] as DatabaseValue) })
            }
        }
        #expect(rows.count == 2)
        let text = { (row: Int, column: String) in String.fromDatabaseValue(rows[row][column] ?? .null) }
        #expect(text(0, "name_scope") == "guild:g1")
        #expect(
            try Self.decode(ScopeColumn.self, text(0, "scope"))
                == ScopeColumn(kind: "guild", guildID: "g1", roleIDs: ["r1"]))
        #expect(
            try Self.decode(TransportColumn.self, text(0, "transport"))
                == TransportColumn(type: "stdio", command: "files", arguments: ["-v"]))
        #expect(
            try Self.decode(TransportColumn.self, text(1, "transport"))
                == TransportColumn(type: "streamable_http", url: "https://mcp.example/docs"))
        #expect(try Self.decode([String: String].self, text(0, "sealed_headers")) == ["Authorization": "s-b1"])
        #expect(try Self.decode([String: String].self, text(0, "sealed_environment")) == ["TOKEN": "e-b1"])
        #expect(text(0, "member_headers") == #"["X-Key"]"#)
        #expect(Int.fromDatabaseValue(rows[0]["timeout_seconds"] ?? .null) == 60)
    }

    @Test func aRowThatDoesNotReadBackIsLeftOutAndTakesNothingDown() async throws {
        let database = try GatewayDatabase(path: path)
        let tampered: [(id: String, column: String, value: String)] = [
            ("b2", "scope", #"{"kind":"guild","guild_id":"g1"}"#),  // lost its roles: must not open to the guild
            ("b3", "transport", #"{"type":"ftp","url":"ftp://x"}"#),
            ("b4", "transport", #"{"type":"sse"}"#),
            ("b5", "sealed_headers", "not json"),
            ("b6", "member_headers", "42"),
            ("b7", "scope", ""),
        ]
        try await database.insertBackend(backend("b1", name: "good"))
        for (index, row) in tampered.enumerated() { try await database.insertBackend(backend(row.id, name: "bad\(index)")) }
        try await database.insertBackend(backend("b8", name: "zgood"))
        for row in tampered {
            try await database.setMemberCredential(backendID: row.id, userID: "discord:2", header: "X-Key", sealed: "m")
            try await database.pool.write { db in
                try db.execute(sql: "UPDATE member_backends SET \(row.column) = ? WHERE id = ?", arguments: [row.value, row.id])
            }
        }
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE member_backends SET created_at = 'yesterday' WHERE id = 'b2'")
        }

        #expect(try await database.allBackends().map(\.id) == ["b1", "b8"])
        for row in tampered { #expect(try await database.backend(id: row.id) == nil) }

        // A key rotation goes through; the unreadable rows and their members' values are left as they were.
        try await database.resealAll(keyCheck: "new") { "new:" + $0.sealed }
        #expect(try await database.backend(id: "b1")?.sealedHeaders == ["Authorization": "new:s-b1"])
        #expect(try await database.memberCredentials(backendID: "b3", userID: "discord:2") == ["X-Key": "m"])
        #expect(try await database.sealingKeyCheck() == "new")
        #expect(try await database.deleteBackend(id: "b5"))
    }

    @Test func foreignKeysAreOnSoCredentialsGoWithTheirBackend() async throws {
        let database = try GatewayDatabase(path: path)
        #expect(try await database.pool.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") } == true)
        try await database.insertBackend(backend("b1", name: "docs"))
        try await database.setMemberCredential(backendID: "b1", userID: "discord:2", header: "X-Key", sealed: "m")
        #expect(try await database.deleteBackend(id: "b1"))
        let left = try await database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM member_backend_credentials")
        }
        #expect(left == 0)
    }

    @Test func theAuditTrailHasASubjectColumn() async throws {
        let database = try GatewayDatabase(path: path)
        let columns = try await database.pool.read { db in try db.columns(in: "audit_events").map(\.name) }
        #expect(columns.contains("subject"))
    }

    @Test func aDuplicateIdIsADatabaseErrorNotANameClash() async throws {
        let database = try GatewayDatabase(path: path)
        try await database.insertBackend(backend("b1", name: "docs"))
        await #expect(throws: DatabaseError.self) { try await database.insertBackend(backend("b1", name: "other")) }
        #expect(try await database.backend(id: "b1")?.name == "docs")
    }
}
