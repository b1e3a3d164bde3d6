import Foundation

extension InMemoryAuthorizationStore: ConsentTransactionStore {
    public func insertTransaction(_ transaction: ConsentTransaction) throws {
        guard state.transactions[transaction.id] == nil else { throw InMemoryStoreError.duplicateKey(transaction.id) }
        state.transactions[transaction.id] = transaction
    }

    /// Expired or not: the controller checks the time, `purge` removes it.
    public func transaction(id: String) -> ConsentTransaction? { state.transactions[id] }

    public func consumeTransaction(id: String) -> ConsentTransaction? { state.transactions.removeValue(forKey: id) }

    /// A sign-in started again replaces the one under way.
    public func startSignIn(transactionID: String, _ signIn: PendingSignIn) -> Bool {
        guard state.transactions[transactionID] != nil else { return false }
        state.transactions[transactionID]?.signIn = signIn
        return true
    }

    public func finishSignIn(transactionID: String, stateHash: String) -> ConsentTransaction? {
        guard let transaction = state.transactions[transactionID], let stored = transaction.signIn?.stateHash,
            TokenCrypto.constantTimeEquals(stored, stateHash)
        else { return nil }
        state.transactions[transactionID]?.signIn = nil
        return transaction
    }

    public func bindSubject(transactionID: String, subject: String, csrfHash: String) -> Bool {
        guard state.transactions[transactionID] != nil else { return false }
        state.transactions[transactionID]?.subject = subject
        state.transactions[transactionID]?.csrfHash = csrfHash
        return true
    }
}
