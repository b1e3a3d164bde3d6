import Foundation

/// What the authorization server needs to know about itself.
public struct OAuthConfiguration: Sendable {
    /// Public base URL, no trailing slash; also the `iss` of every response.
    public var issuer: String
    public var accessTokenTTL: TimeInterval
    public var refreshTokenTTL: TimeInterval
    public var refreshReuseGrace: TimeInterval
    public var authorizationCodeTTL: TimeInterval = 300
    public var consentTransactionTTL: TimeInterval = 600
    /// Clients that never obtained a token are removed after this long.
    public var unusedClientTTL: TimeInterval = 7 * 24 * 3600
    /// Test-only: Client ID Metadata Documents may be fetched over http from loopback hosts.
    public var allowLoopbackMetadataDocuments: Bool = false

    public static let defaultScope = "mcp"
    public static let supportedScopes = [defaultScope]

    public init(issuer: String, accessTokenTTL: TimeInterval, refreshTokenTTL: TimeInterval, refreshReuseGrace: TimeInterval) {
        self.issuer = issuer
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
        self.refreshReuseGrace = refreshReuseGrace
    }

    /// The protected resource (RFC 8707 audience): the MCP endpoint.
    public var resource: String { issuer + "/mcp" }
    public var protectedResourceMetadataURL: String { issuer + "/.well-known/oauth-protected-resource/mcp" }
    public var authorizationEndpoint: String { issuer + "/oauth/authorize" }
    public var tokenEndpoint: String { issuer + "/oauth/token" }
    public var registrationEndpoint: String { issuer + "/oauth/register" }
    public var revocationEndpoint: String { issuer + "/oauth/revoke" }

    /// RFC 8707 `resource` check: scheme and host compare case-insensitively, one trailing slash is ignored.
    public func isThisResource(_ candidate: String) -> Bool {
        // The usual case, checked on every authenticated request: the very string this server issued tokens for.
        if candidate == resource { return true }
        func normalized(_ url: String) -> String? {
            guard var components = URLComponents(string: url), components.fragment == nil else { return nil }
            components.scheme = components.scheme?.lowercased()
            components.host = components.host?.lowercased()
            if components.path.hasSuffix("/") { components.path.removeLast() }
            return components.string
        }
        guard let mine = normalized(resource), let theirs = normalized(candidate) else { return false }
        return mine == theirs
    }
}
