import Foundation
import OAuthServer
import Testing

extension StoreConformance {
    @Suite struct PersonalTokens {
        static func token(
            _ id: String, name: String, createdAt: Date = now, expiresIn: TimeInterval? = nil, backends: [String]? = nil
        ) -> PersonalToken {
            PersonalToken(
                id: id, name: name, scopes: ["status", "mcp"], createdAt: createdAt,
                expiresAt: expiresIn.map { createdAt.addingTimeInterval($0) }, backends: backends)
        }

        @Test(arguments: Engine.allCases)
        func aTokenReadsBackAsWrittenWithoutUseOrRevocation(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.personalTokens
                var written = Self.token("pt_1", name: "ci", expiresIn: 3600, backends: ["docs", "wiki"])
                written.lastUsedAt = now
                written.revokedAt = now  // the store keeps both itself
                try await store.insertPersonalToken(written, hash: "h1")
                try await store.insertPersonalToken(Self.token("pt_2", name: "all", backends: []), hash: "h2")
                written.lastUsedAt = nil
                written.revokedAt = nil
                #expect(try await store.personalTokens() == [Self.token("pt_2", name: "all", backends: []), written])
            }
        }

        @Test(arguments: Engine.allCases)
        func tokensComeNewestFirstThenLastInsertedFirst(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.personalTokens
                try await store.insertPersonalToken(Self.token("pt_a", name: "a", createdAt: now), hash: "ha")
                try await store.insertPersonalToken(
                    Self.token("pt_b", name: "b", createdAt: now.addingTimeInterval(60)), hash: "hb")
                try await store.insertPersonalToken(Self.token("pt_c", name: "c", createdAt: now), hash: "hc")
                #expect(try await store.personalTokens().map(\.id) == ["pt_b", "pt_c", "pt_a"])
            }
        }

        @Test(arguments: Engine.allCases)
        func aLiveTokenIsFoundByHashAndItsUseNotedAtMostOncePerMinute(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.personalTokens
                try await store.insertPersonalToken(Self.token("pt_1", name: "prometheus"), hash: "h1")
                let first = try #require(try await store.usePersonalToken(hash: "h1", now: now))
                #expect(first.name == "prometheus" && first.scopes == ["status", "mcp"] && first.lastUsedAt == now)
                #expect(try await store.usePersonalToken(hash: "h1", now: now.addingTimeInterval(59))?.lastUsedAt == now)
                let later = now.addingTimeInterval(60)
                #expect(try await store.usePersonalToken(hash: "h1", now: later)?.lastUsedAt == later)
                #expect(try await store.personalTokens().first?.lastUsedAt == later)
                #expect(try await store.usePersonalToken(hash: "h404", now: now) == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func anExpiredOrRevokedTokenIsRefusedAndItsUseNotNoted(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.personalTokens
                try await store.insertPersonalToken(Self.token("pt_1", name: "short", expiresIn: 60), hash: "h1")
                #expect(try await store.usePersonalToken(hash: "h1", now: now.addingTimeInterval(59)) != nil)
                #expect(try await store.usePersonalToken(hash: "h1", now: now.addingTimeInterval(60)) == nil)
                try await store.insertPersonalToken(Self.token("pt_2", name: "gone"), hash: "h2")
                _ = try await store.revokePersonalToken(idOrName: "gone", now: now)
                #expect(try await store.usePersonalToken(hash: "h2", now: now.addingTimeInterval(120)) == nil)
                #expect(try await store.personalTokens().first { $0.id == "pt_2" }?.lastUsedAt == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func aNameIsHeldUntilRevokedAndFreedByRevocation(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.personalTokens
                try await store.insertPersonalToken(Self.token("pt_1", name: "ci", expiresIn: 60), hash: "h1")
                await #expect(throws: PersonalTokenError.nameTaken("ci")) {
                    try await store.insertPersonalToken(Self.token("pt_2", name: "ci"), hash: "h2")
                }
                // Expiry does not free the name (the SQLite unique index is on unrevoked names); revocation does, by
                // name or by id, and only once.
                let revoked = try #require(try await store.revokePersonalToken(idOrName: "ci", now: now.addingTimeInterval(600)))
                #expect(revoked.id == "pt_1" && revoked.revokedAt == now.addingTimeInterval(600))
                #expect(try await store.revokePersonalToken(idOrName: "ci", now: now) == nil)
                #expect(try await store.revokePersonalToken(idOrName: "pt_1", now: now) == nil)
                try await store.insertPersonalToken(Self.token("pt_2", name: "ci"), hash: "h2")
                #expect(try await store.revokePersonalToken(idOrName: "pt_2", now: now)?.name == "ci")
                #expect(try await store.personalTokens().map(\.id).sorted() == ["pt_1", "pt_2"])
                #expect(try await store.personalTokens().allSatisfy { $0.revokedAt != nil })
                #expect(try await store.revokePersonalToken(idOrName: "nobody", now: now) == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func aHashOrIdIsTakenOnce(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.personalTokens
                try await store.insertPersonalToken(Self.token("pt_1", name: "one"), hash: "h1")
                await #expect(throws: (any Error).self) {
                    try await store.insertPersonalToken(Self.token("pt_2", name: "two"), hash: "h1")
                }
                await #expect(throws: (any Error).self) {
                    try await store.insertPersonalToken(Self.token("pt_1", name: "three"), hash: "h3")
                }
                #expect(try await store.personalTokens().map(\.id) == ["pt_1"])
            }
        }
    }
}
