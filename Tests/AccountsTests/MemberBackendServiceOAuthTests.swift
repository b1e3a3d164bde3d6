import Foundation
import Testing

@testable import Accounts

/// OAuth backends through the service: each member signs in at the upstream; the hand-made client's secret is sealed
/// under the owner's key, moves with ownership, and never comes back; definitions that cannot work are refused.
extension MemberBackendServiceTests {
    func oauth(_ name: String, clientID: String? = nil, secret: String? = nil, scope: BackendInput.ScopeInput? = nil)
        -> BackendInput
    {
        BackendInput(
            name: name, scope: scope, url: "https://mcp.example.com/\(name)", auth: "oauth", oauthClientID: clientID,
            oauthClientSecret: secret)
    }

    @Test func anOAuthBackendKeepsItsClientSecretSealedUnderItsOwnersKey() async throws {
        let world = await world()
        let created = try await world.service.create(
            oauth("issues", clientID: "made-by-hand", secret: "client-s3cret", scope: .init(kind: "guild", guildID: guild)),
            by: moderator)
        let stored = try #require(created.oauth)
        #expect(stored.clientID == "made-by-hand" && stored.scope == nil)
        let sealed = try #require(stored.sealedClientSecret)
        #expect(!sealed.contains("client-s3cret"))
        #expect(try await world.service.openSecrets(of: created, for: ana.userID).oauthClientSecret == "client-s3cret")
        #expect(
            await world.changes.entries.last?.fields == [
                "name", "scope", "transport", "auth", "oauth_client_id", "oauth_client_secret",
            ])

        // Another backend admin who sets the secret becomes the owner; the secret is resealed under their key.
        let secondAdmin = member("1000", admin: true)
        let scoped = try await world.service.update(id: created.id, BackendInput(oauthScope: "issues:read"), by: secondAdmin)
        #expect(scoped.ownerID == moderator.userID && scoped.oauth?.scope == "issues:read")
        let taken = try await world.service.update(
            id: created.id, BackendInput(oauthClientSecret: "rotated"), by: secondAdmin)
        #expect(taken.ownerID == secondAdmin.userID)
        #expect(try await world.service.openSecrets(of: taken, for: bob.userID).oauthClientSecret == "rotated")
        let moderatorSalt = try #require(await world.users.user(id: moderator.userID)).keySalt
        #expect(throws: SealError.authenticationFailed) {
            _ = try world.sealer.open(
                taken.oauth!.sealedClientSecret!, ownerSalt: moderatorSalt, context: taken.sealContextOAuthClientSecret)
        }
        // Empty strings clear; auth none turns it off.
        let cleared = try await world.service.update(
            id: created.id, BackendInput(oauthClientID: "", oauthClientSecret: ""), by: secondAdmin)
        #expect(cleared.oauth == MemberBackend.OAuth(scope: "issues:read"))
        let plain = try await world.service.update(id: created.id, BackendInput(auth: "none"), by: secondAdmin)
        #expect(plain.oauth == nil)
    }

    @Test func oauthDefinitionsThatCannotWorkAreRefusedAndChangeNothing() async throws {
        let world = await world()
        let refusals: [(BackendInput, String)] = [
            (BackendInput(name: "a", url: "https://x.example/mcp", auth: "sso"), "auth must be oauth"),
            (BackendInput(name: "a", url: "https://x.example/mcp", oauthClientID: "c"), "set auth to oauth"),
            (oauth("a", secret: "s"), "needs the oauth_client_id"),
            (BackendInput(name: "a", transport: "sse", url: "https://x.example/sse", auth: "oauth"), "streamable_http"),
            (
                BackendInput(name: "a", url: "https://x.example/mcp", memberHeaders: ["X-Key"], auth: "oauth"),
                "no member_headers"
            ),
            (
                BackendInput(name: "a", url: "https://x.example/mcp", headers: ["authorization": "Bearer x"], auth: "oauth"),
                "remove headers.Authorization"
            ),
            (BackendInput(name: "a", url: "https://x.example/mcp", auth: "oauth", oauthScope: "a  b"), "oauth_scope"),
            (BackendInput(name: "a", url: "https://x.example/mcp", auth: "oauth", oauthScope: "a\"b"), "oauth_scope"),
            (BackendInput(name: "a", url: "https://x.example/mcp", auth: "oauth", oauthClientID: "c\nd"), "line breaks"),
            (BackendInput(name: "a", url: "https://x.example/mcp", auth: "none", oauthClientID: "c"), "auth none"),
        ]
        for (input, words) in refusals {
            do {
                _ = try await world.service.create(input, by: ana)
                Issue.record("accepted: \(input)")
            } catch {
                #expect(error.kind == .invalid && error.description.contains(words), "\(error) for \(input)")
            }
        }
        #expect(try await world.store.allBackends().isEmpty)

        // A change that would make an OAuth backend unusable leaves it as it was.
        let created = try await world.service.create(oauth("issues"), by: ana)
        await #expect(throws: MemberBackendError.self) {
            _ = try await world.service.update(id: created.id, BackendInput(transport: "sse"), by: ana)
        }
        await #expect(throws: MemberBackendError.self) {
            _ = try await world.service.update(id: created.id, BackendInput(memberHeaders: ["X-Key"]), by: ana)
        }
        #expect(try await world.store.backend(id: created.id) == created)
    }
}
