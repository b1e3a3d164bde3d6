import Foundation

@testable import OAuthServer

extension OAuthConfiguration {
    /// A resource at `/mcp` with the scope `mcp`, as the gateway configures it.
    static func forTests(issuer: String) -> OAuthConfiguration {
        OAuthConfiguration(
            issuer: issuer, resourcePath: "/mcp", resourceName: "test resource", scopes: ["mcp"], clientIDPrefix: "mcp-",
            accessTokenTTL: 3600, refreshTokenTTL: 86400, refreshReuseGrace: 30)
    }
}
