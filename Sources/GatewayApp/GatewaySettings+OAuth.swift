import Foundation
import OAuthServer

extension GatewaySettings {
    /// The authorization server's view of this gateway: one protected resource, `/mcp`, and its scopes.
    public var oauthConfiguration: OAuthConfiguration {
        var configuration = OAuthConfiguration(
            issuer: normalizedIssuer, resourcePath: "/mcp", resourceName: "mcp-gateway", scopes: GatewayScopes.oauth,
            clientIDPrefix: "mcp-", accessTokenTTL: TimeInterval(accessTokenTTL),
            refreshTokenTTL: TimeInterval(refreshTokenTTL), refreshReuseGrace: TimeInterval(refreshReuseGrace))
        configuration.allowLoopbackMetadataDocuments = allowLoopbackMetadataDocumentsForTests
        return configuration
    }
}
