import Foundation
import OAuthServer
import Testing

@testable import Storage

@Suite struct GrantStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("grants-\(UUID().uuidString)/gateway.sqlite").path
    let now = Date()

    func makeDatabase() throws -> GatewayDatabase { try GatewayDatabase(path: path) }

    /// A client with one approved grant; returns the grant id.
    func approvedGrant(in database: GatewayDatabase, client: String = "c1") async throws -> (grant: String, code: String) {
        try await database.insertClient(
            OAuthClient(
                id: client, kind: .registered, name: "Test", redirectURIs: ["https://a.example/cb"], authMethod: .none,
                secretHash: nil, metadataJSON: "{}", createdAt: now))
        let transaction = ConsentTransaction(
            id: "tx-\(client)", csrfHash: "h", clientID: client, redirectURI: "https://a.example/cb", scope: "mcp", state: nil,
            codeChallenge: "c", resource: "https://gw.example/mcp", expiresAt: now.addingTimeInterval(600))
        try await database.insertTransaction(transaction)
        let grant = Grant(id: "g-\(client)", clientID: client, scope: "mcp", resource: "https://gw.example/mcp", createdAt: now)
        let code = AuthorizationCode(
            codeHash: "code-\(client)", grantID: grant.id, clientID: client, redirectURI: "https://a.example/cb", scope: "mcp",
            codeChallenge: "c", resource: "https://gw.example/mcp", expiresAt: now.addingTimeInterval(300))
        #expect(try await database.approve(transactionID: transaction.id, grant: grant, code: code))
        #expect(try await database.approve(transactionID: transaction.id, grant: grant, code: code) == false)
        return (grant.id, code.codeHash)
    }

    func tokens(_ access: String, _ refresh: String, grant: String, client: String = "c1") -> [TokenRecord] {
        [
            TokenRecord(
                tokenHash: access, kind: .access, grantID: grant, clientID: client, scope: "mcp",
                resource: "https://gw.example/mcp", createdAt: now, expiresAt: now.addingTimeInterval(3600)),
            TokenRecord(
                tokenHash: refresh, kind: .refresh, grantID: grant, clientID: client, scope: "mcp",
                resource: "https://gw.example/mcp", createdAt: now, expiresAt: now.addingTimeInterval(86400)),
        ]
    }

    @Test func codeIsSingleUseAndReplayRevokesTheGrant() async throws {
        let database = try makeDatabase()
        let (grant, code) = try await approvedGrant(in: database)
        let issued = tokens("a1", "r1", grant: grant)
        guard case .issued = try await database.redeemCode(hash: code, now: now, decide: { _ in .success(issued) }) else {
            Issue.record("first redemption failed")
            return
        }
        #expect(try await database.accessGrant(tokenHash: "a1", now: now) != nil)
        guard case .replayed = try await database.redeemCode(hash: code, now: now, decide: { _ in .success([]) }) else {
            Issue.record("replay not detected")
            return
        }
        #expect(try await database.accessGrant(tokenHash: "a1", now: now) == nil)
        guard
            case .unknown = try await database.exchangeRefreshToken(
                hash: "r1", now: now, grace: 30, decide: { _ in .success([]) })
        else { Issue.record("refresh token survived the replay"); return }
    }

    @Test func rejectedRedemptionChangesNothing() async throws {
        let database = try makeDatabase()
        let (grant, code) = try await approvedGrant(in: database)
        guard
            case .rejected(let error) = try await database.redeemCode(
                hash: code, now: now, decide: { _ in .failure(.invalidGrant("no")) })
        else { Issue.record("not rejected"); return }
        #expect(error.code == "invalid_grant")
        guard
            case .issued = try await database.redeemCode(
                hash: code, now: now, decide: { _ in .success(tokens("a1", "r1", grant: grant)) })
        else { Issue.record("the code was burned by a rejected attempt"); return }
    }

    @Test func refreshRotatesWithGraceThenReplayRevokesTheFamily() async throws {
        let database = try makeDatabase()
        let (grant, code) = try await approvedGrant(in: database)
        _ = try await database.redeemCode(hash: code, now: now, decide: { _ in .success(tokens("a1", "r1", grant: grant)) })
        let rotate = { (hash: String, at: Date, fresh: [TokenRecord]) in
            try await database.exchangeRefreshToken(hash: hash, now: at, grace: 30, decide: { _ in .success(fresh) })
        }
        guard case .issued = try await rotate("r1", now, tokens("a2", "r2", grant: grant)) else {
            Issue.record("rotation"); return
        }
        // Within the grace window the old token still works, in the same family.
        guard case .issued = try await rotate("r1", now.addingTimeInterval(10), tokens("a3", "r3", grant: grant)) else {
            Issue.record("grace"); return
        }
        guard case .replayed = try await rotate("r1", now.addingTimeInterval(31), tokens("a4", "r4", grant: grant)) else {
            Issue.record("replay after grace"); return
        }
        for access in ["a1", "a2", "a3", "a4"] { #expect(try await database.accessGrant(tokenHash: access, now: now) == nil) }
        guard case .unknown = try await rotate("r2", now.addingTimeInterval(32), tokens("a5", "r5", grant: grant)) else {
            Issue.record("family survived"); return
        }
    }

    @Test func concurrentRefreshesNeverFork() async throws {
        let database = try makeDatabase()
        let (grant, code) = try await approvedGrant(in: database)
        _ = try await database.redeemCode(hash: code, now: now, decide: { _ in .success(tokens("a0", "r0", grant: grant)) })
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 1...8 {
                group.addTask {
                    let outcome = try await database.exchangeRefreshToken(
                        hash: "r0", now: now, grace: 30, decide: { _ in .success(tokens("a\(index)", "r\(index)", grant: grant)) }
                    )
                    if case .issued = outcome { return true }
                    return false
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0 })
        for index in 1...8 { #expect(try await database.accessGrant(tokenHash: "a\(index)", now: now)?.grantID == grant) }
    }

    @Test func revocationRules() async throws {
        let database = try makeDatabase()
        let (grant, code) = try await approvedGrant(in: database)
        _ = try await database.redeemCode(hash: code, now: now, decide: { _ in .success(tokens("a1", "r1", grant: grant)) })
        try await database.revoke(tokenHash: "r1", clientID: "someone-else", now: now)
        #expect(try await database.accessGrant(tokenHash: "a1", now: now) != nil)
        try await database.revoke(tokenHash: "r1", clientID: "c1", now: now)
        #expect(try await database.accessGrant(tokenHash: "a1", now: now) == nil)
    }

    @Test func purgeAndRestart() async throws {
        do {
            let database = try makeDatabase()
            let (grant, code) = try await approvedGrant(in: database)
            _ = try await database.redeemCode(hash: code, now: now, decide: { _ in .success(tokens("a1", "r1", grant: grant)) })
            try await database.insertClient(
                OAuthClient(
                    id: "never-used", kind: .registered, name: nil, redirectURIs: ["https://b.example/cb"], authMethod: .none,
                    secretHash: nil, metadataJSON: "{}", createdAt: now.addingTimeInterval(-8 * 86400)))
            let summary = try await database.purge(now: now, unusedClientsBefore: now.addingTimeInterval(-7 * 86400))
            #expect(summary.clients == 1)
            #expect(try await database.client(id: "c1") != nil)
        }
        let reopened = try makeDatabase()
        #expect(try await reopened.accessGrant(tokenHash: "a1", now: now) != nil)
        #expect(try await reopened.counts(now: now) == TokenCounts(clients: 1, accessTokens: 1, refreshTokens: 1))
        let summary = try await reopened.purge(now: now.addingTimeInterval(100_000), unusedClientsBefore: now)
        #expect(summary.tokens == 2)
    }

    @Test func aFileThatIsNotADatabaseIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("gateway.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: file)
        #expect(throws: GatewayDatabase.OpenError.self) { try GatewayDatabase(path: file.path) }
        #expect(throws: GatewayDatabase.OpenError.self) { try GatewayDatabase(path: file.path + "/inside/db.sqlite") }
    }
}
