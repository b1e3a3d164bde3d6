import Foundation
import OAuthServer
import Testing

extension StoreConformance {
    @Suite struct ConsentTransactions {
        @Test(arguments: Engine.allCases)
        func aTransactionReadsBackAsWrittenExpiredOrNot(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                var withEverything = consentTransaction("tx1")
                withEverything.subject = "discord:1"
                withEverything.signIn = PendingSignIn(stateHash: "state-hash", codeVerifier: "verifier")
                var bare = consentTransaction("tx2", expiresAt: now.addingTimeInterval(-1))
                bare.state = nil
                try await store.insertTransaction(withEverything)
                try await store.insertTransaction(bare)
                #expect(try await store.transaction(id: "tx1") == withEverything)
                #expect(try await store.transaction(id: "tx2") == bare)
                #expect(try await store.transaction(id: "tx404") == nil)
                await #expect(throws: (any Error).self) { try await store.insertTransaction(consentTransaction("tx1")) }
                #expect(try await store.transaction(id: "tx1") == withEverything)
            }
        }

        @Test(arguments: Engine.allCases)
        func aTransactionIsConsumedOnce(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                try await store.insertTransaction(consentTransaction("tx1"))
                #expect(try await store.consumeTransaction(id: "tx1") == consentTransaction("tx1"))
                #expect(try await store.consumeTransaction(id: "tx1") == nil)
                #expect(try await store.transaction(id: "tx1") == nil)
            }
        }

        @Test(arguments: Engine.allCases)
        func aSignInFinishesOnceAndOnlyWithItsState(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                #expect(
                    try await store.startSignIn(transactionID: "tx1", PendingSignIn(stateHash: "h", codeVerifier: "v")) == false)
                try await store.insertTransaction(consentTransaction("tx1"))
                #expect(try await store.finishSignIn(transactionID: "tx1", stateHash: "h") == nil)

                #expect(try await store.startSignIn(transactionID: "tx1", PendingSignIn(stateHash: "h0", codeVerifier: "v0")))
                // Starting again replaces the sign-in under way: the first callback no longer counts.
                let signIn = PendingSignIn(stateHash: "h1", codeVerifier: "v1")
                #expect(try await store.startSignIn(transactionID: "tx1", signIn))
                #expect(try await store.transaction(id: "tx1")?.signIn == signIn)
                #expect(try await store.finishSignIn(transactionID: "tx1", stateHash: "h0") == nil)
                #expect(try await store.finishSignIn(transactionID: "tx1", stateHash: "h1x") == nil)
                #expect(try await store.finishSignIn(transactionID: "tx404", stateHash: "h1") == nil)
                #expect(try await store.transaction(id: "tx1")?.signIn == signIn)

                var expected = consentTransaction("tx1")
                expected.signIn = signIn
                #expect(try await store.finishSignIn(transactionID: "tx1", stateHash: "h1") == expected)
                #expect(try await store.finishSignIn(transactionID: "tx1", stateHash: "h1") == nil)
                #expect(try await store.transaction(id: "tx1") == consentTransaction("tx1"))
            }
        }

        @Test(arguments: Engine.allCases)
        func bindingASubjectReplacesTheCSRFToken(engine: Engine) async throws {
            try await engine.withStores { stores in
                let store = stores.authorization
                #expect(try await store.bindSubject(transactionID: "tx1", subject: "discord:1", csrfHash: "new") == false)
                var transaction = consentTransaction("tx1")
                transaction.signIn = PendingSignIn(stateHash: "h", codeVerifier: "v")
                try await store.insertTransaction(transaction)
                #expect(try await store.bindSubject(transactionID: "tx1", subject: "discord:1", csrfHash: "new"))
                transaction.subject = "discord:1"
                transaction.csrfHash = "new"
                #expect(try await store.transaction(id: "tx1") == transaction)
                #expect(try await store.consumeTransaction(id: "tx1") == transaction)
                #expect(try await store.bindSubject(transactionID: "tx1", subject: "discord:2", csrfHash: "newer") == false)
            }
        }
    }
}
