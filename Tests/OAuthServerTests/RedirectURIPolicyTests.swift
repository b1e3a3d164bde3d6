import Testing

@testable import OAuthServer

@Suite struct RedirectURIPolicyTests {
    @Test(arguments: [
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
        "http://localhost:6274/oauth/callback",
        "http://127.0.0.1:33418/callback",
        "http://[::1]:8080/cb",
        "https://example.com/cb?tenant=1",
    ])
    func acceptable(_ uri: String) {
        #expect(RedirectURIPolicy.problem(with: uri) == nil)
    }

    @Test(arguments: [
        "", "not a url", "/relative/path", "http://example.com/cb", "javascript:alert(1)", "data:text/html,hi",
        "file:///etc/passwd", "https://example.com/cb#fragment", "https://user:pw@example.com/cb",
        "https://user@example.com/cb", "ftp://example.com/cb", "https:///nohost", "https://exa mple.com/cb",
        "http://127.0.0.1.evil.com/cb", "http://localhost.evil.com/cb",
    ])
    func refused(_ uri: String) {
        #expect(RedirectURIPolicy.problem(with: uri) != nil)
    }

    @Test func matchingIsExact() {
        let registered = "https://claude.ai/api/mcp/auth_callback"
        #expect(RedirectURIPolicy.matches(requested: registered, registered: registered))
        for variant in [
            "https://claude.ai/api/mcp/auth_callback/", "https://claude.ai/api/mcp/Auth_callback",
            "https://CLAUDE.ai/api/mcp/auth_callback", "https://claude.ai:8443/api/mcp/auth_callback",
            "https://claude.ai/api/mcp/auth_callback?x=1", "https://claude.ai/api/mcp/other",
            "http://claude.ai/api/mcp/auth_callback",
        ] {
            #expect(!RedirectURIPolicy.matches(requested: variant, registered: registered), "\(variant)")
        }
    }

    @Test func loopbackHTTPMayChangeOnlyThePort() {
        let registered = "http://127.0.0.1:3000/callback"
        #expect(RedirectURIPolicy.matches(requested: "http://127.0.0.1:49152/callback", registered: registered))
        #expect(RedirectURIPolicy.matches(requested: "http://127.0.0.1/callback", registered: registered))
        #expect(!RedirectURIPolicy.matches(requested: "http://127.0.0.1:49152/other", registered: registered))
        #expect(!RedirectURIPolicy.matches(requested: "http://localhost:49152/callback", registered: registered))
        #expect(!RedirectURIPolicy.matches(requested: "http://127.0.0.1:49152/callback?x=1", registered: registered))
        #expect(
            !RedirectURIPolicy.matches(
                requested: "https://127.0.0.1:49152/callback", registered: "https://127.0.0.1:3000/callback"))
    }

    @Test func loopbackHosts() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] { #expect(RedirectURIPolicy.isLoopbackHost(host)) }
        for host in ["example.com", "128.0.0.1", "127.0.0", "127.0.0.256", "0.0.0.0", "localhost.evil"] {
            #expect(!RedirectURIPolicy.isLoopbackHost(host))
        }
    }
}
