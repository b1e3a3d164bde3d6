import Foundation

/// A token the operator makes with `mcp-gateway tokens create`, for scripts, CI runners and Prometheus. Unlike OAuth
/// access tokens it belongs to no client; its scopes are the resource's own (the composition root names them).
public struct PersonalToken: Sendable, Equatable {
    public var id: String
    public var name: String
    public var scopes: Set<String>
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// The backends it may reach, by name; nil reaches every backend.
    public var backends: [String]?

    public init(
        id: String, name: String, scopes: Set<String>, createdAt: Date, expiresAt: Date? = nil, lastUsedAt: Date? = nil,
        revokedAt: Date? = nil, backends: [String]? = nil
    ) {
        self.backends = backends
        self.id = id
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public func isLive(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

public enum PersonalTokens {
    /// Marks the token's kind at a glance (and for secret scanners); OAuth tokens never start with it.
    public static let prefix = "mgw_"

    /// A new token and the SHA-256 hash that is all the database keeps of it.
    public static func mint() -> (token: String, hash: String) {
        let token = prefix + TokenCrypto.generateToken()
        return (token, TokenCrypto.hash(token))
    }

    public static func isPersonal(_ token: some StringProtocol) -> Bool {
        token.hasPrefix(prefix)
    }
}

public enum PersonalTokenError: Error, Equatable, CustomStringConvertible {
    case nameTaken(String)

    public var description: String {
        switch self {
        case .nameTaken(let name): "a token named \"\(name)\" exists already; revoke it or choose another name"
        }
    }
}

public protocol PersonalTokenStore: Sendable {
    /// Stores a new token under its hash; throws `PersonalTokenError.nameTaken` when a live token has that name.
    func insertPersonalToken(_ token: PersonalToken, hash: String) async throws
    /// Every token, live or not, newest first.
    func personalTokens() async throws -> [PersonalToken]
    /// The live token with this hash, noting its use (at most once a minute, to keep writes off the request path).
    func usePersonalToken(hash: String, now: Date) async throws -> PersonalToken?
    /// Revokes the live token with this id or name; returns it, or nil when there is none.
    func revokePersonalToken(idOrName: String, now: Date) async throws -> PersonalToken?
}
