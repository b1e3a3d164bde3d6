import Foundation

/// What the authorization server needs to know about itself, and about the one resource it issues tokens for (the
/// server knows nothing of what that resource is: its path, name and scopes come from here).
public struct OAuthConfiguration: Sendable {
    /// Public base URL, no trailing slash; also the `iss` of every response.
    public var issuer: String
    /// The protected resource's path on the issuer, e.g. `/mcp`: the RFC 8707 audience is `issuer + resourcePath`.
    public var resourcePath: String
    /// RFC 9728 `resource_name`.
    public var resourceName: String
    /// The scopes an authorization may grant; the first is what an approval on the consent page grants.
    public var scopes: [String]
    /// Starts every client id this server registers, so that ids are recognisable in logs.
    public var clientIDPrefix: String
    public var accessTokenTTL: TimeInterval
    public var refreshTokenTTL: TimeInterval
    public var refreshReuseGrace: TimeInterval
    public var authorizationCodeTTL: TimeInterval = 300
    public var consentTransactionTTL: TimeInterval = 600
    /// Clients that never obtained a token are removed after this long.
    public var unusedClientTTL: TimeInterval = 7 * 24 * 3600
    /// Test-only: Client ID Metadata Documents may be fetched over http from loopback hosts.
    public var allowLoopbackMetadataDocuments: Bool = false

    public init(
        issuer: String, resourcePath: String, resourceName: String, scopes: [String], clientIDPrefix: String,
        accessTokenTTL: TimeInterval, refreshTokenTTL: TimeInterval, refreshReuseGrace: TimeInterval
    ) {
        precondition(!scopes.isEmpty, "an authorization server needs at least one scope")
        self.issuer = issuer
        self.resourcePath = resourcePath
        self.resourceName = resourceName
        self.scopes = scopes
        self.clientIDPrefix = clientIDPrefix
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
        self.refreshReuseGrace = refreshReuseGrace
    }

    /// What an approval grants, and what a challenge asks for when the route names no scope.
    public var defaultScope: String { scopes[0] }
    /// The protected resource (RFC 8707 audience).
    public var resource: String { issuer + resourcePath }
    /// RFC 9728 §3.1: the metadata of a resource with a path lives under the well-known prefix plus that path.
    public var protectedResourceMetadataPath: String { "/.well-known/oauth-protected-resource" + resourcePath }
    public var protectedResourceMetadataURL: String { issuer + protectedResourceMetadataPath }
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
