import Foundation
import OAuthServer
import Testing

extension StoreConformance {
    @Suite struct Grants {
        @Test(arguments: Engine.allCases)
        func approvingConsumesTheTransactionOnce(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                try await store.insertClient(oauthClient("c1"))
                let grant = Grant(id: "g1", clientID: "c1", scope: "mcp", resource: resource, createdAt: now)
                let code = authorizationCode(grant: "g1")
                #expect(try await store.approve(transactionID: "tx404", grant: grant, code: code) == false)
                // Nothing was written: the code is not there.
                #expect(
                    try await store.redeemCode(hash: code.codeHash, now: now, decide: { _ in .success([]) }).label == "unknown")

                try await store.insertTransaction(consentTransaction("tx1"))
                #expect(try await store.approve(transactionID: "tx1", grant: grant, code: code))
                #expect(try await store.transaction(id: "tx1") == nil)
                #expect(try await store.approve(transactionID: "tx1", grant: grant, code: code) == false)
            }
        }

        @Test(arguments: Engine.allCases)
        func anApprovalThatCannotBeStoredKeepsTheTransaction(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                try await store.insertTransaction(consentTransaction("tx1", client: "c404"))
                let grant = Grant(id: "g1", clientID: "c404", scope: "mcp", resource: resource, createdAt: now)
                await #expect(throws: (any Error).self) {
                    _ = try await store.approve(transactionID: "tx1", grant: grant, code: authorizationCode(grant: "g1"))
                }
                #expect(try await store.transaction(id: "tx1") != nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func aCodeIsSingleUseAndAReplayRevokesTheGrant(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                let issued = tokenRecords("a1", "r1", grant: grant)
                let outcome = try await store.redeemCode(hash: code, now: now) { stored in
                    // The code as approved, not yet used.
                    stored == authorizationCode(grant: grant) ? .success(issued) : .failure(.invalidGrant("not as approved"))
                }
                #expect(outcome.label == "issued:a1,r1")
                #expect(try await store.accessGrant(tokenHash: "a1", now: now) != nil)
                let replay = try await store.redeemCode(hash: code, now: now) { _ in
                    Issue.record("a used code reached decide")
                    return .success([])
                }
                #expect(replay.label == "replayed")
                #expect(try await store.accessGrant(tokenHash: "a1", now: now) == nil)
                let refresh = try await store.exchangeRefreshToken(hash: "r1", now: now, grace: 30) { _ in .success([]) }
                #expect(refresh.label == "unknown")
                #expect(try await store.redeemCode(hash: "code-404", now: now, decide: { _ in .success([]) }).label == "unknown")
            }
        }

        @Test(arguments: Engine.allCases)
        func aRejectedRedemptionChangesNothing(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                let rejected = try await store.redeemCode(hash: code, now: now) { _ in .failure(.invalidGrant("no")) }
                #expect(rejected.label == "rejected:invalid_grant")
                #expect(try await store.client(id: "c1")?.lastUsedAt == nil)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
            }
        }

        @Test(arguments: Engine.allCases)
        func aRedemptionThatCannotBeStoredLeavesTheCodeUnused(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                // Two tokens under one hash: the second cannot be stored, so neither is, nor is the code spent.
                let clash = tokenRecords("same", "same", grant: grant)
                await #expect(throws: (any Error).self) {
                    _ = try await store.redeemCode(hash: code, now: now) { _ in .success(clash) }
                }
                #expect(try await store.accessGrant(tokenHash: "same", now: now) == nil)
                #expect(try await store.client(id: "c1")?.lastUsedAt == nil)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
            }
        }

        @Test(arguments: Engine.allCases)
        func issuingTokensMarksTheClientUsed(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant), at: now.addingTimeInterval(10))
                #expect(try await store.client(id: "c1")?.lastUsedAt == now.addingTimeInterval(10))
                let later = now.addingTimeInterval(20)
                let outcome = try await store.exchangeRefreshToken(hash: "r1", now: later, grace: 30) { _ in
                    .success(tokenRecords("a2", "r2", grant: grant))
                }
                #expect(outcome.label == "issued:a2,r2")
                #expect(try await store.client(id: "c1")?.lastUsedAt == later)
            }
        }

        @Test(arguments: Engine.allCases)
        func anAccessGrantCarriesTheGrantsSubjectAndSelection(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store, subject: "discord:1", selection: ["docs", "wiki"])
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
                let access = try #require(try await store.accessGrant(tokenHash: "a1", now: now))
                #expect(
                    access
                        == AccessGrant(
                            clientID: "c1", grantID: grant, scopes: ["mcp", "offline_access"], resource: resource,
                            expiresAt: now.addingTimeInterval(3600), backendSelection: ["docs", "wiki"], subject: "discord:1"))
                // Live until its expiry, not at it; a refresh token is no access token.
                #expect(try await store.accessGrant(tokenHash: "a1", now: now.addingTimeInterval(3599)) != nil)
                #expect(try await store.accessGrant(tokenHash: "a1", now: now.addingTimeInterval(3600)) == nil)
                #expect(try await store.accessGrant(tokenHash: "r1", now: now) == nil)
                #expect(try await store.accessGrant(tokenHash: "a404", now: now) == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func anOperatorGrantSelectsEverything(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
                let access = try #require(try await store.accessGrant(tokenHash: "a1", now: now))
                #expect(access.subject == Grant.operatorSubject && access.backendSelection == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func aRefreshRotatesWithGraceThenAReplayRevokesTheFamily(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
                func rotate(_ hash: String, at time: Date, _ fresh: [TokenRecord]) async throws -> String {
                    try await store.exchangeRefreshToken(hash: hash, now: time, grace: 30) { _ in .success(fresh) }.label
                }
                let first = try await store.exchangeRefreshToken(hash: "r1", now: now, grace: 30) { stored in
                    stored.rotatedAt == nil && stored.tokenHash == "r1"
                        ? .success(tokenRecords("a2", "r2", grant: grant)) : .failure(.invalidGrant("not as stored"))
                }
                #expect(first.label == "issued:a2,r2")
                // Within the grace window (its edge included) the old token still works, in the same family.
                #expect(
                    try await rotate("r1", at: now.addingTimeInterval(30), tokenRecords("a3", "r3", grant: grant))
                        == "issued:a3,r3")
                #expect(try await store.counts(now: now).refreshTokens == 2)  // r2 and r3; r1 is rotated
                #expect(
                    try await rotate("r1", at: now.addingTimeInterval(31), tokenRecords("a4", "r4", grant: grant)) == "replayed")
                for access in ["a1", "a2", "a3", "a4"] {
                    #expect(try await store.accessGrant(tokenHash: access, now: now) == nil)
                }
                #expect(
                    try await rotate("r2", at: now.addingTimeInterval(32), tokenRecords("a5", "r5", grant: grant)) == "unknown")
                #expect(try await store.counts(now: now) == TokenCounts(clients: 1, accessTokens: 0, refreshTokens: 0))
            }
        }

        @Test(arguments: Engine.allCases)
        func aRejectedRefreshChangesNothing(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
                let rejected = try await store.exchangeRefreshToken(hash: "r1", now: now, grace: 30) { _ in
                    .failure(.invalidGrant("no"))
                }
                #expect(rejected.label == "rejected:invalid_grant")
                // Not rotated: long after any grace it is still the family's live refresh token.
                let later = try await store.exchangeRefreshToken(hash: "r1", now: now.addingTimeInterval(600), grace: 30) { _ in
                    .success(tokenRecords("a2", "r2", grant: grant))
                }
                #expect(later.label == "issued:a2,r2")
            }
        }

        @Test(arguments: Engine.allCases)
        func onlyALiveRefreshTokenIsExchanged(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant, refreshLifetime: 100))
                func exchange(_ hash: String, at time: Date) async throws -> String {
                    try await store.exchangeRefreshToken(hash: hash, now: time, grace: 30) { _ in
                        Issue.record("\(hash) reached decide")
                        return .success([])
                    }.label
                }
                #expect(try await exchange("a1", at: now) == "unknown")
                #expect(try await exchange("r404", at: now) == "unknown")
                #expect(try await exchange("r1", at: now.addingTimeInterval(100)) == "unknown")
                // An expired token is no replay: the family lives on.
                #expect(try await store.accessGrant(tokenHash: "a1", now: now) != nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func concurrentRefreshesNeverFork(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                try await redeem(code, in: store, for: tokenRecords("a0", "r0", grant: grant))
                let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 1...8 {
                        group.addTask {
                            try await store.exchangeRefreshToken(hash: "r0", now: now, grace: 30) { _ in
                                .success(tokenRecords("a\(index)", "r\(index)", grant: grant))
                            }.label
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(outcomes.allSatisfy { $0.hasPrefix("issued:") })
                for index in 1...8 { #expect(try await store.accessGrant(tokenHash: "a\(index)", now: now)?.grantID == grant) }
            }
        }

        @Test(arguments: Engine.allCases)
        func revocationFollowsRFC7009(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let (grant, code) = try await approvedGrant(in: store)
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
                let second = try await store.exchangeRefreshToken(hash: "r1", now: now, grace: 30) { _ in
                    .success(tokenRecords("a2", "r2", grant: grant))
                }
                #expect(second.label == "issued:a2,r2")

                // Another client's token is not theirs to revoke; an unknown one is no error.
                try await store.revoke(tokenHash: "r2", clientID: "someone-else", now: now)
                try await store.revoke(tokenHash: "a1", clientID: "someone-else", now: now)
                try await store.revoke(tokenHash: "t404", clientID: "c1", now: now)
                #expect(try await store.counts(now: now) == TokenCounts(clients: 1, accessTokens: 2, refreshTokens: 1))

                // An access token goes alone.
                try await store.revoke(tokenHash: "a1", clientID: "c1", now: now)
                #expect(try await store.accessGrant(tokenHash: "a1", now: now) == nil)
                #expect(try await store.accessGrant(tokenHash: "a2", now: now) != nil)
                #expect(try await store.counts(now: now) == TokenCounts(clients: 1, accessTokens: 1, refreshTokens: 1))

                // A refresh token, even a rotated one, takes the whole family.
                try await store.revoke(tokenHash: "r1", clientID: "c1", now: now)
                #expect(try await store.accessGrant(tokenHash: "a2", now: now) == nil)
                let after = try await store.exchangeRefreshToken(hash: "r2", now: now, grace: 30) { _ in .success([]) }
                #expect(after.label == "unknown")
                #expect(try await store.counts(now: now) == TokenCounts(clients: 1, accessTokens: 0, refreshTokens: 0))
            }
        }

        @Test(arguments: Engine.allCases)
        func countsAreOfLiveTokens(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                #expect(try await store.counts(now: now) == TokenCounts(clients: 0, accessTokens: 0, refreshTokens: 0))
                let (grant, code) = try await approvedGrant(in: store)
                try await store.insertClient(oauthClient("c2"))
                #expect(try await store.counts(now: now) == TokenCounts(clients: 2, accessTokens: 0, refreshTokens: 0))
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant, accessLifetime: 60))
                #expect(try await store.counts(now: now) == TokenCounts(clients: 2, accessTokens: 1, refreshTokens: 1))
                #expect(
                    try await store.counts(now: now.addingTimeInterval(60))
                        == TokenCounts(clients: 2, accessTokens: 0, refreshTokens: 1))
                #expect(
                    try await store.counts(now: now.addingTimeInterval(86400))
                        == TokenCounts(clients: 2, accessTokens: 0, refreshTokens: 0))
            }
        }

        @Test(arguments: Engine.allCases)
        func purgeRemovesWhatExpiredAndClientsThatNeverObtainedAToken(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                let weekAgo = now.addingTimeInterval(-7 * 86400)
                let (grant, code) = try await approvedGrant(in: store, client: "c1")
                try await redeem(code, in: store, for: tokenRecords("a1", "r1", grant: grant))
                // An old client approved but never redeemed, and a recent one never approved.
                try await store.insertClient(oauthClient("c2", createdAt: now.addingTimeInterval(-8 * 86400)))
                let (_, unusedCode) = try await approvedGrant(in: store, client: "c2", insertClient: false)
                try await store.insertClient(oauthClient("c3"))
                try await store.insertTransaction(consentTransaction("tx-open", client: "c3"))
                try await store.insertTransaction(consentTransaction("tx-old", client: "c3", expiresAt: now))

                #expect(
                    try await store.purge(now: now, unusedClientsBefore: weekAgo)
                        == PurgeSummary(tokens: 0, codes: 0, transactions: 1, clients: 1))
                #expect(try await store.client(id: "c2") == nil)
                #expect(try await store.redeemCode(hash: unusedCode, now: now, decide: { _ in .success([]) }).label == "unknown")
                #expect(try await store.transaction(id: "tx-old") == nil)
                #expect(try await store.transaction(id: "tx-open") != nil)
                #expect(try await store.accessGrant(tokenHash: "a1", now: now) != nil)
                #expect(try await store.counts(now: now) == TokenCounts(clients: 2, accessTokens: 1, refreshTokens: 1))

                let muchLater = now.addingTimeInterval(100_000)
                #expect(
                    try await store.purge(now: muchLater, unusedClientsBefore: weekAgo)
                        == PurgeSummary(tokens: 2, codes: 1, transactions: 1, clients: 0))
                #expect(try await store.client(id: "c1") != nil)
                #expect(try await store.client(id: "c3") != nil)
                #expect(try await store.counts(now: now) == TokenCounts(clients: 2, accessTokens: 0, refreshTokens: 0))
                #expect(try await store.purge(now: muchLater, unusedClientsBefore: weekAgo) == PurgeSummary())
            }
        }
    }
}
