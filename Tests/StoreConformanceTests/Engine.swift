import Accounts
import Foundation
import MCPGateway
import OAuthServer
import OperatorPages
import Storage
import Testing
import UpstreamAuth

/// Every store protocol, held to one behaviour on every engine: each case runs once per `Engine`.
@Suite struct StoreConformance {}

/// The engines a store protocol is implemented on: the in-memory reference and SQLite.
enum Engine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case sqlite

    var testDescription: String { rawValue }

    /// Runs `body` with fresh, empty stores of this engine. A SQLite database lives in a temporary folder of its own,
    /// removed afterwards whether `body` passed or threw.
    func withStores(_ body: (Stores) async throws -> Void) async throws {
        switch self {
        case .memory:
            let audit = InMemoryAuditSink()
            try await body(
                Stores(
                    users: InMemoryUserStore(), backends: InMemoryMemberBackendStore(),
                    authorization: InMemoryAuthorizationStore(), personalTokens: InMemoryPersonalTokenStore(),
                    audit: audit, auditTrail: { await audit.events }, upstream: InMemoryUpstreamTokenStore()))
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "store-conformance-\(UUID().uuidString)")
            let outcome: Result<Void, any Error>
            do {
                try await Self.withDatabase(in: folder, body)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            try? FileManager.default.removeItem(at: folder)
            try outcome.get()
        }
    }

    /// The database is released when this returns, before its folder is removed.
    private static func withDatabase(in folder: URL, _ body: (Stores) async throws -> Void) async throws {
        let database = try GatewayDatabase(path: folder.appendingPathComponent("gateway.sqlite").path)
        try await body(
            Stores(
                users: database, backends: database, authorization: database, personalTokens: database, audit: database,
                auditTrail: { try await database.auditEvents(AuditQuery(limit: 10_000)).reversed().map(\.event) },
                upstream: database))
    }
}

/// One engine's stores. On SQLite they are all one database; in memory the authorization server's protocols share an
/// actor (approving consumes a transaction, issuing tokens marks a client) and the others stand alone.
struct Stores: Sendable {
    var users: any UserStore
    var backends: any MemberBackendStore
    var authorization: any ClientStore & ConsentTransactionStore & GrantStore & OperatorCredentialStore
    var personalTokens: any PersonalTokenStore
    var audit: any AuditSink
    /// Every audit event appended, oldest first (the sink protocol only appends; each engine reads back its own way).
    var auditTrail: @Sendable () async throws -> [AuditEvent]
    var upstream: any UpstreamTokenStore
}

/// A fixed time in whole seconds: dates survive SQLite's REAL columns exactly.
let now = Date(timeIntervalSince1970: 1_800_000_000)
