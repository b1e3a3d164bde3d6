import Foundation
import Testing
import UpstreamAuth

extension StoreConformance {
    /// Members' sign-ins at upstream backends, one per (backend, member), and the gateway's registrations there.
    @Suite struct UpstreamTokens {
        static func grant(_ backend: String, _ user: String, access: String = "v1:access", refresh: String? = "v1:refresh")
            -> UpstreamGrant
        {
            UpstreamGrant(
                backend: backend, userID: user, sealedAccessToken: access, sealedRefreshToken: refresh,
                expiresAt: now.addingTimeInterval(3600), scope: "mcp", resource: "https://\(backend).example/mcp",
                obtainedAt: now)
        }

        @Test(arguments: Engine.allCases) func aGrantIsKeptPerBackendAndMemberAndReplacedWhole(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.upstream
                #expect(try await store.grant(backend: "gh", userID: "discord:1") == nil)
                try await store.saveGrant(Self.grant("gh", "discord:1"))
                try await store.saveGrant(Self.grant("gh", "discord:2"))
                try await store.saveGrant(Self.grant("linear", "discord:1", refresh: nil))
                #expect(try await store.grant(backend: "gh", userID: "discord:1") == Self.grant("gh", "discord:1"))
                #expect(try await store.grants(userID: "discord:1").map(\.backend) == ["gh", "linear"])
                #expect(try await store.grantCount(backend: "gh") == 2)
                #expect(try await store.grants(backend: "gh").map(\.userID) == ["discord:1", "discord:2"])
                #expect(try await store.grants(backend: "nowhere").isEmpty)

                var rotated = Self.grant("gh", "discord:1", access: "v1:new", refresh: "v1:new-refresh")
                rotated.expiresAt = nil
                try await store.saveGrant(rotated)
                #expect(try await store.grant(backend: "gh", userID: "discord:1") == rotated)
                #expect(try await store.grantCount(backend: "gh") == 2)

                try await store.deleteGrant(backend: "gh", userID: "discord:1")
                #expect(try await store.grant(backend: "gh", userID: "discord:1") == nil)
                #expect(try await store.grant(backend: "gh", userID: "discord:2") != nil, "another member's is untouched")
                try await store.deleteGrant(backend: "gh", userID: "nobody")
                #expect(try await store.grantCount(backend: "gh") == 1)
            }
        }

        @Test(arguments: Engine.allCases) func aRegistrationIsKeptPerBackend(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.upstream
                #expect(try await store.registeredClient(backend: "gh") == nil)
                let client = UpstreamClient(
                    backend: "gh", issuer: "https://gh.example", clientID: "c1", sealedClientSecret: "v1:secret",
                    authMethod: "client_secret_basic", registeredAt: now)
                try await store.saveRegisteredClient(client)
                #expect(try await store.registeredClient(backend: "gh") == client)
                var again = client
                again.clientID = "c2"
                again.sealedClientSecret = nil
                again.authMethod = "none"
                try await store.saveRegisteredClient(again)
                #expect(try await store.registeredClient(backend: "gh") == again)
                #expect(try await store.registeredClient(backend: "other") == nil)
                try await store.deleteRegisteredClient(backend: "gh")
                #expect(try await store.registeredClient(backend: "gh") == nil)
                try await store.deleteRegisteredClient(backend: "gh")
            }
        }
    }
}
