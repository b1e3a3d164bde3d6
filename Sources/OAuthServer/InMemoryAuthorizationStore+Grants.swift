import Foundation

extension InMemoryAuthorizationStore: GrantStore {
    public func approve(transactionID: String, grant: Grant, code: AuthorizationCode) throws -> Bool {
        try atomically { state in
            guard state.transactions.removeValue(forKey: transactionID) != nil else { return false }
            guard state.clients[grant.clientID] != nil else { throw InMemoryStoreError.missingReference(grant.clientID) }
            guard state.grants[grant.id] == nil else { throw InMemoryStoreError.duplicateKey(grant.id) }
            var storedGrant = grant
            storedGrant.revokedAt = nil  // a new grant is live, whatever the value said
            state.grants[grant.id] = storedGrant
            guard state.grants[code.grantID] != nil else { throw InMemoryStoreError.missingReference(code.grantID) }
            guard state.codes[code.codeHash] == nil else { throw InMemoryStoreError.duplicateKey(code.codeHash) }
            var storedCode = code
            storedCode.usedAt = nil
            state.codes[code.codeHash] = storedCode
            return true
        }
    }

    public func redeemCode(
        hash: String, now: Date, decide: @Sendable (AuthorizationCode) -> Result<[TokenRecord], OAuthError>
    ) throws -> TokenExchange {
        try atomically { state in
            guard let code = state.codes[hash] else { return .unknown }
            if code.usedAt != nil {
                state.revokeGrant(code.grantID, now: now)
                return .replayed
            }
            guard state.isGrantLive(code.grantID) else { return .unknown }
            switch decide(code) {
            case .failure(let error):
                return .rejected(error)
            case .success(let tokens):
                state.codes[hash]?.usedAt = now
                try state.store(tokens, now: now)
                return .issued(tokens)
            }
        }
    }

    public func exchangeRefreshToken(
        hash: String, now: Date, grace: TimeInterval, decide: @Sendable (TokenRecord) -> Result<[TokenRecord], OAuthError>
    ) throws -> TokenExchange {
        try atomically { state in
            guard let token = state.tokens[hash], token.kind == .refresh else { return .unknown }
            guard token.revokedAt == nil, token.expiresAt > now, state.isGrantLive(token.grantID) else { return .unknown }
            if let rotatedAt = token.rotatedAt, now.timeIntervalSince(rotatedAt) > grace {
                state.revokeGrant(token.grantID, now: now)
                return .replayed
            }
            switch decide(token) {
            case .failure(let error):
                return .rejected(error)
            case .success(let tokens):
                if token.rotatedAt == nil { state.tokens[hash]?.rotatedAt = now }
                try state.store(tokens, now: now)
                return .issued(tokens)
            }
        }
    }

    public func accessGrant(tokenHash: String, now: Date) -> AccessGrant? {
        guard let token = state.tokens[tokenHash], token.kind == .access, token.revokedAt == nil, token.expiresAt > now,
            let grant = state.grants[token.grantID], grant.revokedAt == nil
        else { return nil }
        return AccessGrant(
            clientID: token.clientID, grantID: token.grantID, scopes: Set(token.scope.split(separator: " ").map(String.init)),
            resource: token.resource, expiresAt: token.expiresAt, backendSelection: grant.selection.map(Set.init),
            subject: grant.subject)
    }

    public func revoke(tokenHash: String, clientID: String, now: Date) {
        guard let token = state.tokens[tokenHash], token.clientID == clientID else { return }
        if token.kind == .refresh {
            state.revokeGrant(token.grantID, now: now)
        } else if token.revokedAt == nil {
            state.tokens[tokenHash]?.revokedAt = now
        }
    }

    public func counts(now: Date) -> TokenCounts {
        let live = state.tokens.values.filter { token in
            token.revokedAt == nil && token.expiresAt > now && state.grants[token.grantID].map { $0.revokedAt == nil } == true
        }
        return TokenCounts(
            clients: state.clients.count, accessTokens: live.filter { $0.kind == .access }.count,
            refreshTokens: live.filter { $0.kind == .refresh && $0.rotatedAt == nil }.count)
    }

    /// In the SQLite store's order: expired transactions, codes and tokens; then grants left with neither codes nor
    /// tokens (not counted); then unused clients, whose grants, codes and tokens go with them (not counted either).
    public func purge(now: Date, unusedClientsBefore: Date) -> PurgeSummary {
        var summary = PurgeSummary()
        summary.transactions = state.transactions.removeValues { $0.expiresAt <= now }
        summary.codes = state.codes.removeValues { $0.expiresAt <= now }
        summary.tokens = state.tokens.removeValues { $0.expiresAt <= now }
        let held = Set(state.tokens.values.map(\.grantID)).union(state.codes.values.map(\.grantID))
        state.grants.removeValues { !held.contains($0.id) }
        let unused = Set(
            state.clients.values.filter { state.firstTokenAt[$0.id] == nil && $0.createdAt <= unusedClientsBefore }.map(\.id))
        summary.clients = state.clients.removeValues { unused.contains($0.id) }
        let orphaned = Set(state.grants.values.filter { unused.contains($0.clientID) }.map(\.id))
        state.grants.removeValues { orphaned.contains($0.id) }
        state.codes.removeValues { orphaned.contains($0.grantID) }
        state.tokens.removeValues { orphaned.contains($0.grantID) }
        return summary
    }
}

// MARK: shared steps, always inside `atomically`

extension InMemoryAuthorizationStore.State {
    /// Stores new tokens (live and never rotated, whatever the values said) and marks their client used.
    mutating func store(_ tokens: [TokenRecord], now: Date) throws {
        for token in tokens {
            guard grants[token.grantID] != nil else { throw InMemoryStoreError.missingReference(token.grantID) }
            guard self.tokens[token.tokenHash] == nil else { throw InMemoryStoreError.duplicateKey(token.tokenHash) }
            var stored = token
            stored.revokedAt = nil
            stored.rotatedAt = nil
            self.tokens[token.tokenHash] = stored
        }
        if let clientID = tokens.first?.clientID, clients[clientID] != nil {
            firstTokenAt[clientID] = firstTokenAt[clientID] ?? now
            clients[clientID]?.lastUsedAt = now
        }
    }

    /// Revokes the grant and every token issued from it; what was revoked before keeps its time.
    mutating func revokeGrant(_ grantID: String, now: Date) {
        if grants[grantID]?.revokedAt == nil { grants[grantID]?.revokedAt = now }
        for (hash, token) in tokens where token.grantID == grantID && token.revokedAt == nil {
            tokens[hash]?.revokedAt = now
        }
    }

    func isGrantLive(_ grantID: String) -> Bool { grants[grantID].map { $0.revokedAt == nil } ?? false }
}

extension Dictionary {
    /// Removes the values that match; returns how many there were.
    @discardableResult
    fileprivate mutating func removeValues(where shouldRemove: (Value) -> Bool) -> Int {
        let keys = filter { shouldRemove($0.value) }.map(\.key)
        for key in keys { removeValue(forKey: key) }
        return keys.count
    }
}
