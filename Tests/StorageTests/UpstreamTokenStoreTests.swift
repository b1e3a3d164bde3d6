import Accounts
import Foundation
import Synchronization
import Testing
import UpstreamAuth

@testable import Storage

/// What only SQLite answers for: a key rotation reseals members' upstream tokens and the registrations' secrets
/// with the contexts that sealed them, in the same transaction as every other sealed value.
@Suite final class UpstreamTokenStoreTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("upstream-\(UUID().uuidString)")
    var path: String { folder.appendingPathComponent("gateway.sqlite").path }
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    deinit { try? FileManager.default.removeItem(at: folder) }

    @Test func aKeyRotationResealsUpstreamTokensAndClientSecrets() async throws {
        let database = try GatewayDatabase(path: path)
        for user in ["discord:1", "discord:2"] {
            try await database.saveGrant(
                UpstreamGrant(
                    backend: "gh", userID: user, sealedAccessToken: "a-\(user)",
                    sealedRefreshToken: user == "discord:1" ? "r-\(user)" : nil, expiresAt: nil, scope: nil,
                    resource: "https://gh.example/mcp", obtainedAt: now))
        }
        try await database.saveRegisteredClient(
            UpstreamClient(
                backend: "gh", issuer: "https://gh.example", clientID: "c", sealedClientSecret: "s", authMethod: "none",
                registeredAt: now))
        let seen = Mutex<[String]>([])
        try await database.resealAll(keyCheck: "new") { value in
            seen.withLock { $0.append("\(value.userID) \(value.context.rowID) \(value.context.field) \(value.sealed)") }
            return "new:" + value.sealed
        }
        #expect(
            seen.withLock { $0 }.sorted() == [
                "discord:1 upstream:gh/discord:1 access_token a-discord:1",
                "discord:1 upstream:gh/discord:1 refresh_token r-discord:1",
                "discord:2 upstream:gh/discord:2 access_token a-discord:2",
                "operator upstream-client:gh client_secret s",
            ])
        #expect(try await database.grant(backend: "gh", userID: "discord:1")?.sealedAccessToken == "new:a-discord:1")
        #expect(try await database.grant(backend: "gh", userID: "discord:1")?.sealedRefreshToken == "new:r-discord:1")
        #expect(try await database.grant(backend: "gh", userID: "discord:2")?.sealedRefreshToken == nil)
        #expect(try await database.registeredClient(backend: "gh")?.sealedClientSecret == "new:s")
    }

    @Test func aFailedRotationLeavesEveryTokenAsItWas() async throws {
        let database = try GatewayDatabase(path: path)
        try await database.saveGrant(
            UpstreamGrant(
                backend: "gh", userID: "discord:1", sealedAccessToken: "a", sealedRefreshToken: "r", expiresAt: nil,
                scope: nil, resource: "https://gh.example/mcp", obtainedAt: now))
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await database.resealAll(keyCheck: "new") { value in
                if value.context.field == "refresh_token" { throw Refused() }
                return "new:" + value.sealed
            }
        }
        #expect(try await database.grant(backend: "gh", userID: "discord:1")?.sealedAccessToken == "a")
    }
}
