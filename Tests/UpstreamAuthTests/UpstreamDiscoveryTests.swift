import MCPCore
import Testing

@testable import UpstreamAuth

struct UpstreamDiscoveryTests {
    @Test func wellKnownNamesGoBetweenTheOriginAndThePath() {
        #expect(
            UpstreamDiscovery.wellKnown("oauth-protected-resource", for: "https://api.example/v1/mcp") == [
                "https://api.example/.well-known/oauth-protected-resource/v1/mcp",
                "https://api.example/.well-known/oauth-protected-resource",
            ])
        #expect(
            UpstreamDiscovery.wellKnown("oauth-authorization-server", for: "http://127.0.0.1:8080/") == [
                "http://127.0.0.1:8080/.well-known/oauth-authorization-server"
            ])
        #expect(UpstreamDiscovery.wellKnown("x", for: "not a url").isEmpty)
    }

    @Test func theChallengeNamesItsMetadata() {
        let header =
            #"Bearer error="invalid_token", error_description="Authentication required", resource_metadata="http://h:1/.well-known/oauth-protected-resource/mcp""#
        #expect(
            OAuthChallenge.metadataURL(inChallenge: header) == "http://h:1/.well-known/oauth-protected-resource/mcp")
        #expect(OAuthChallenge.metadataURL(inChallenge: "Bearer realm=\"x\"") == nil)
        #expect(OAuthChallenge.metadataURL(inChallenge: "Bearer resource_metadata=\"unterminated") == nil)
    }

    @Test func resourcesMatchUpToATrailingSlash() {
        #expect(UpstreamDiscovery.sameResource("https://a.example/mcp", "https://a.example/mcp/"))
        #expect(!UpstreamDiscovery.sameResource("https://a.example/mcp", "https://b.example/mcp"))
        #expect(!UpstreamDiscovery.sameResource("https://a.example/mcp", "https://a.example/mcp2"))
    }
}
