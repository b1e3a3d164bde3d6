import Foundation
import Synchronization

/// Keeps access-token lookups off the database on the request path. Every revocation that passes through
/// this store empties the cache at once; a revocation made by another process (the operator's CLI) is
/// honoured within `maximumAge`.
public final class CachingGrantStore: GrantStore {
    private struct Entry {
        var grant: AccessGrant
        var validUntil: Date
    }

    private let base: any GrantStore
    private let maximumAge: TimeInterval
    private let maximumEntries: Int
    private let entries = Mutex<[String: Entry]>([:])

    public init(_ base: any GrantStore, maximumAge: TimeInterval = 10, maximumEntries: Int = 10_000) {
        self.base = base
        self.maximumAge = maximumAge
        self.maximumEntries = maximumEntries
    }

    public func accessGrant(tokenHash: String, now: Date) async throws -> AccessGrant? {
        let cached = entries.withLock { entries -> AccessGrant? in
            guard let entry = entries[tokenHash] else { return nil }
            if entry.validUntil > now { return entry.grant }
            entries[tokenHash] = nil
            return nil
        }
        if let cached { return cached }
        guard let grant = try await base.accessGrant(tokenHash: tokenHash, now: now) else { return nil }
        let entry = Entry(grant: grant, validUntil: min(grant.expiresAt, now.addingTimeInterval(maximumAge)))
        entries.withLock { entries in
            if entries.count >= maximumEntries { entries.removeAll(keepingCapacity: true) }
            entries[tokenHash] = entry
        }
        return grant
    }

    /// Drops every cached grant, so that a revocation made directly in the database counts at once.
    public func forgetAll() {
        entries.withLock { $0.removeAll(keepingCapacity: true) }
    }

    public func revoke(tokenHash: String, clientID: String, now: Date) async throws {
        try await base.revoke(tokenHash: tokenHash, clientID: clientID, now: now)
        forgetAll()
    }

    public func redeemCode(
        hash: String, now: Date, decide: @Sendable (AuthorizationCode) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange {
        let outcome = try await base.redeemCode(hash: hash, now: now, decide: decide)
        if case .replayed = outcome { forgetAll() }
        return outcome
    }

    public func exchangeRefreshToken(
        hash: String, now: Date, grace: TimeInterval, decide: @Sendable (TokenRecord) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange {
        let outcome = try await base.exchangeRefreshToken(hash: hash, now: now, grace: grace, decide: decide)
        if case .replayed = outcome { forgetAll() }
        return outcome
    }

    public func approve(transactionID: String, grant: Grant, code: AuthorizationCode) async throws -> Bool {
        try await base.approve(transactionID: transactionID, grant: grant, code: code)
    }

    public func counts(now: Date) async throws -> TokenCounts {
        try await base.counts(now: now)
    }

    public func purge(now: Date, unusedClientsBefore: Date) async throws -> PurgeSummary {
        let summary = try await base.purge(now: now, unusedClientsBefore: unusedClientsBefore)
        if summary.clients > 0 { forgetAll() }
        return summary
    }
}
