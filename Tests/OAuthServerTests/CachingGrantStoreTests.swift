import Foundation
import Synchronization
import Testing

@testable import OAuthServer

@Suite struct CachingGrantStoreTests {
    let now = Date()

    func grant(expiresIn seconds: TimeInterval = 3600) -> AccessGrant {
        AccessGrant(clientID: "c", grantID: "g", scopes: ["mcp"], resource: "r", expiresAt: now.addingTimeInterval(seconds))
    }

    @Test func repeatedLookupsStayInMemory() async throws {
        let base = CountingStore(grant: grant())
        let cache = CachingGrantStore(base, maximumAge: 10)
        for _ in 0..<5 { #expect(try await cache.accessGrant(tokenHash: "t", now: now) != nil) }
        #expect(base.lookups == 1)
        _ = try await cache.accessGrant(tokenHash: "t", now: now.addingTimeInterval(11))
        #expect(base.lookups == 2)
    }

    @Test func neverOutlivesTheToken() async throws {
        let base = CountingStore(grant: grant(expiresIn: 2))
        let cache = CachingGrantStore(base, maximumAge: 10)
        _ = try await cache.accessGrant(tokenHash: "t", now: now)
        base.setGrant(nil)
        #expect(try await cache.accessGrant(tokenHash: "t", now: now.addingTimeInterval(3)) == nil)
    }

    @Test func revocationsAndReplaysClearTheCache() async throws {
        let base = CountingStore(grant: grant())
        let cache = CachingGrantStore(base, maximumAge: 10)
        _ = try await cache.accessGrant(tokenHash: "t", now: now)
        base.setGrant(nil)
        try await cache.revoke(tokenHash: "t", clientID: "c", now: now)
        #expect(try await cache.accessGrant(tokenHash: "t", now: now) == nil)

        base.setGrant(grant())
        _ = try await cache.accessGrant(tokenHash: "t", now: now)
        base.setGrant(nil)
        base.setExchange(.replayed)
        _ = try await cache.exchangeRefreshToken(hash: "r", now: now, grace: 30) { _ in .success([]) }
        #expect(try await cache.accessGrant(tokenHash: "t", now: now) == nil)

        base.setGrant(grant())
        _ = try await cache.accessGrant(tokenHash: "t", now: now)
        base.setGrant(nil)
        _ = try await cache.redeemCode(hash: "code", now: now) { _ in .success([]) }
        #expect(try await cache.accessGrant(tokenHash: "t", now: now) == nil)
    }
}

/// Counts lookups and answers with whatever grant and exchange outcome the test sets.
final class CountingStore: GrantStore {
    private struct State {
        var grant: AccessGrant?
        var exchange: TokenExchange = .unknown
        var lookups = 0
    }
    private let state: Mutex<State>

    init(grant: AccessGrant?) { state = Mutex(State(grant: grant)) }

    var lookups: Int { state.withLock { $0.lookups } }
    func setGrant(_ grant: AccessGrant?) { state.withLock { $0.grant = grant } }
    func setExchange(_ exchange: TokenExchange) { state.withLock { $0.exchange = exchange } }

    func accessGrant(tokenHash: String, now: Date) async throws -> AccessGrant? {
        state.withLock { state in
            state.lookups += 1
            return state.grant
        }
    }
    func redeemCode(hash: String, now: Date, decide: @Sendable (AuthorizationCode) -> Result<[TokenRecord], OAuthError>)
        async throws -> TokenExchange
    { .replayed }
    func exchangeRefreshToken(
        hash: String, now: Date, grace: TimeInterval, decide: @Sendable (TokenRecord) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange { state.withLock { $0.exchange } }
    func approve(transactionID: String, grant: Grant, code: AuthorizationCode) async throws -> Bool { false }
    func revoke(tokenHash: String, clientID: String, now: Date) async throws {}
    func counts(now: Date) async throws -> TokenCounts { TokenCounts(clients: 0, accessTokens: 0, refreshTokens: 0) }
    func purge(now: Date, unusedClientsBefore: Date) async throws -> PurgeSummary { PurgeSummary() }
}
