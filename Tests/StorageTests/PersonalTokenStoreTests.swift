import Foundation
import OAuthServer
import Testing

@testable import Storage

@Suite struct PersonalTokenStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)/gateway.sqlite").path
    let now = Date(timeIntervalSince1970: 1_800_000_000)  // whole seconds survive the trip through SQLite exactly

    func token(_ id: String, name: String, expiresIn: TimeInterval? = nil) -> PersonalToken {
        PersonalToken(
            id: id, name: name, scopes: ["status"], createdAt: now,
            expiresAt: expiresIn.map { now.addingTimeInterval($0) })
    }

    @Test func liveTokensAreFoundByHashAndTheirUseIsNotedAtMostOncePerMinute() async throws {
        let database = try GatewayDatabase(path: path)
        let (secret, hash) = PersonalTokens.mint()
        #expect(secret.hasPrefix(PersonalTokens.prefix) && hash == TokenCrypto.hash(secret))
        try await database.insertPersonalToken(token("pt_1", name: "prometheus"), hash: hash)

        let first = try #require(try await database.usePersonalToken(hash: hash, now: now))
        #expect(first.name == "prometheus" && first.scopes == ["status"] && first.lastUsedAt == now)
        let soon = try #require(try await database.usePersonalToken(hash: hash, now: now.addingTimeInterval(5)))
        #expect(soon.lastUsedAt == now)
        let later = try #require(try await database.usePersonalToken(hash: hash, now: now.addingTimeInterval(90)))
        #expect(later.lastUsedAt == now.addingTimeInterval(90))
        #expect(try await database.usePersonalToken(hash: TokenCrypto.hash("mgw_other"), now: now) == nil)
    }

    @Test func aLiveNameIsUniqueAndFreedByRevocation() async throws {
        let database = try GatewayDatabase(path: path)
        try await database.insertPersonalToken(token("pt_1", name: "ci"), hash: "h1")
        await #expect(throws: PersonalTokenError.nameTaken("ci")) {
            try await database.insertPersonalToken(token("pt_2", name: "ci"), hash: "h2")
        }
        let revoked = try #require(try await database.revokePersonalToken(idOrName: "ci", now: now))
        #expect(revoked.id == "pt_1" && revoked.revokedAt == now)
        #expect(try await database.usePersonalToken(hash: "h1", now: now) == nil)
        #expect(try await database.revokePersonalToken(idOrName: "ci", now: now) == nil)
        try await database.insertPersonalToken(token("pt_2", name: "ci"), hash: "h2")
        #expect(try await database.personalTokens().map(\.id).sorted() == ["pt_1", "pt_2"])
        #expect(try await database.revokePersonalToken(idOrName: "pt_2", now: now)?.name == "ci")
    }

    @Test func anExpiredTokenIsRefused() async throws {
        let database = try GatewayDatabase(path: path)
        try await database.insertPersonalToken(token("pt_1", name: "short", expiresIn: 60), hash: "h1")
        #expect(try await database.usePersonalToken(hash: "h1", now: now.addingTimeInterval(30)) != nil)
        #expect(try await database.usePersonalToken(hash: "h1", now: now.addingTimeInterval(61)) == nil)
    }
}
