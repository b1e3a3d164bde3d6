import Accounts
import Foundation
import Testing

extension StoreConformance {
    @Suite struct Users {
        @Test(arguments: Engine.allCases)
        func theOperatorIsThereFromTheStart(engine: Engine) async throws {
            try await engine.withStores { stores in
                let user = try #require(try await stores.users.user(id: User.operatorID))
                #expect(user.name == "operator" && user.discordID == nil && user.avatar == nil)
                #expect(user.keySalt.count == 32)
                #expect(try await stores.users.users().map(\.id) == [User.operatorID])
                #expect(try await stores.users.user(id: "discord:404") == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func aFirstSignInCreatesTheMemberWithAFreshSalt(engine: Engine) async throws {
            try await engine.withStores { stores in
                let user = try await stores.users.recordSignIn(discordID: "1234", name: "Ada", avatar: "a1", at: now)
                #expect(user.id == "discord:1234" && user.discordID == "1234")
                #expect(user.name == "Ada" && user.avatar == "a1")
                #expect(user.keySalt.count == 32)
                #expect(user.firstSeenAt == now && user.lastSeenAt == now)
                #expect(try await stores.users.user(id: user.id) == user)
                let other = try await stores.users.recordSignIn(discordID: "5678", name: "Bob", avatar: nil, at: now)
                #expect(other.keySalt != user.keySalt)
            }
        }

        @Test(arguments: Engine.allCases)
        func aLaterSignInKeepsTheIdSaltAndFirstSeenAndRefreshesTheRest(engine: Engine) async throws {
            try await engine.withStores { stores in
                let first = try await stores.users.recordSignIn(discordID: "1234", name: "Ada", avatar: "a1", at: now)
                let later = now.addingTimeInterval(3600)
                let second = try await stores.users.recordSignIn(discordID: "1234", name: "Ada L.", avatar: nil, at: later)
                #expect(second.id == first.id && second.keySalt == first.keySalt && second.firstSeenAt == now)
                #expect(second.name == "Ada L." && second.avatar == nil && second.lastSeenAt == later)
                #expect(try await stores.users.user(id: first.id) == second)
                #expect(try await stores.users.users().count == 2)
            }
        }

        @Test(arguments: Engine.allCases)
        func usersComeOperatorFirstThenByName(engine: Engine) async throws {
            try await engine.withStores { stores in
                // "Zed" has the smallest id and "Abe" sorts before "operator": neither may jump the queue.
                _ = try await stores.users.recordSignIn(discordID: "1", name: "Zed", avatar: nil, at: now)
                _ = try await stores.users.recordSignIn(discordID: "3", name: "Mia", avatar: nil, at: now)
                _ = try await stores.users.recordSignIn(discordID: "2", name: "Abe", avatar: nil, at: now)
                _ = try await stores.users.recordSignIn(discordID: "4", name: "Abe", avatar: nil, at: now)
                #expect(
                    try await stores.users.users().map(\.id) == [
                        User.operatorID, "discord:2", "discord:4", "discord:3", "discord:1",
                    ])
            }
        }
    }
}
