import Foundation

/// Personal tokens in memory: for tests, and the reference the store conformance suite holds every engine to. It
/// follows the SQLite store: a name is taken while a token of that name is unrevoked (expired or not, as the unique
/// index there has it), and scopes and backends come back as their space-separated columns return them.
public actor InMemoryPersonalTokenStore: PersonalTokenStore {
    /// In insertion order, the tiebreak of `personalTokens()`.
    private var rows: [(token: PersonalToken, hash: String)] = []

    /// How stale `lastUsedAt` may get, as on SQLite.
    static let lastUseResolution: TimeInterval = 60

    public init() {}

    public func insertPersonalToken(_ token: PersonalToken, hash: String) throws {
        if rows.contains(where: { $0.token.name == token.name && $0.token.revokedAt == nil }) {
            throw PersonalTokenError.nameTaken(token.name)
        }
        if rows.contains(where: { $0.token.id == token.id }) { throw InMemoryStoreError.duplicateKey(token.id) }
        if rows.contains(where: { $0.hash == hash }) { throw InMemoryStoreError.duplicateKey(hash) }
        var stored = token
        stored.scopes = Set(token.scopes.sorted().joined(separator: " ").split(separator: " ").map(String.init))
        stored.backends = token.backends.map { $0.joined(separator: " ").split(separator: " ").map(String.init) }
        stored.lastUsedAt = nil
        stored.revokedAt = nil
        rows.append((stored, hash))
    }

    /// Newest first; of two made at the same time, the later inserted first.
    public func personalTokens() -> [PersonalToken] {
        rows.enumerated().sorted { ($0.element.token.createdAt, $0.offset) > ($1.element.token.createdAt, $1.offset) }
            .map(\.element.token)
    }

    public func usePersonalToken(hash: String, now: Date) -> PersonalToken? {
        guard let index = rows.firstIndex(where: { $0.hash == hash }), rows[index].token.isLive(at: now) else { return nil }
        if rows[index].token.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.lastUseResolution }) ?? true {
            rows[index].token.lastUsedAt = now
        }
        return rows[index].token
    }

    /// Expired tokens may be revoked too (they still hold their name).
    public func revokePersonalToken(idOrName: String, now: Date) -> PersonalToken? {
        guard
            let index = rows.firstIndex(where: {
                ($0.token.id == idOrName || $0.token.name == idOrName) && $0.token.revokedAt == nil
            })
        else { return nil }
        rows[index].token.revokedAt = now
        return rows[index].token
    }
}
