import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import OAuthServer

@Suite struct BearerAuthenticatorTests {
    let configuration = OAuthConfiguration(
        issuer: "https://gw.example.com", accessTokenTTL: 3600, refreshTokenTTL: 86400, refreshReuseGrace: 30)

    func request(authorization: String?, query: String = "") -> Request {
        var head = HTTPRequest(method: .post, scheme: "https", authority: "gw.example.com", path: "/mcp" + query)
        if let authorization { head.headerFields[.authorization] = authorization }
        return Request(head: head, body: .init(buffer: ByteBuffer()))
    }

    func authenticate(_ request: Request, grant: AccessGrant?, scope: String = "mcp") async -> BearerAuthenticator.Outcome {
        let store = OneTokenStore(token: "good-token", grant: grant)
        return await BearerAuthenticator(configuration: configuration, grants: store).authenticate(request, requiredScope: scope)
    }

    func grant(scopes: Set<String>, resource: String = "https://gw.example.com/mcp") -> AccessGrant {
        AccessGrant(clientID: "c", grantID: "g", scopes: scopes, resource: resource, expiresAt: Date().addingTimeInterval(60))
    }

    func challenge(_ outcome: BearerAuthenticator.Outcome) -> (HTTPResponse.Status, String)? {
        guard case .refused(let response) = outcome else { return nil }
        return (response.status, response.headers[.wwwAuthenticate] ?? "")
    }

    @Test func validTokenIsGranted() async {
        guard
            case .granted(let granted) = await authenticate(
                request(authorization: "Bearer good-token"), grant: grant(scopes: ["mcp"]))
        else { Issue.record("refused"); return }
        #expect(granted.clientID == "c")
    }

    @Test func missingTokenGetsTheAbsoluteResourceMetadata() async throws {
        let (status, header) = try #require(challenge(await authenticate(request(authorization: nil), grant: nil)))
        #expect(status == .unauthorized)
        #expect(header.hasPrefix("Bearer "))
        #expect(header.contains(#"resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp""#))
        #expect(header.contains(#"scope="mcp""#))
        #expect(!header.contains("error="))
    }

    @Test func unknownTokenIsInvalid() async throws {
        let (status, header) = try #require(
            challenge(await authenticate(request(authorization: "Bearer other"), grant: grant(scopes: ["mcp"]))))
        #expect(status == .unauthorized)
        #expect(header.contains(#"error="invalid_token""#))
    }

    @Test func foreignAudienceIsInvalid() async throws {
        let foreign = grant(scopes: ["mcp"], resource: "https://elsewhere.example.com/mcp")
        let (status, header) = try #require(
            challenge(await authenticate(request(authorization: "Bearer good-token"), grant: foreign)))
        #expect(status == .unauthorized)
        #expect(header.contains(#"error="invalid_token""#))
    }

    @Test func tooSmallAScopeIsForbidden() async throws {
        let (status, header) = try #require(
            challenge(
                await authenticate(request(authorization: "Bearer good-token"), grant: grant(scopes: ["mcp"]), scope: "status")))
        #expect(status == .forbidden)
        #expect(header.contains(#"error="insufficient_scope""#))
        #expect(header.contains(#"scope="status""#))
    }

    @Test func queryTokensAreRefusedEvenWithAHeader() async throws {
        let outcome = await authenticate(
            request(authorization: "Bearer good-token", query: "?access_token=good-token"), grant: grant(scopes: ["mcp"]))
        let (status, header) = try #require(challenge(outcome))
        #expect(status == .unauthorized)
        #expect(header.contains(#"error="invalid_token""#))
    }
}

/// A grant store that knows one access token; everything else is outside these tests.
struct OneTokenStore: GrantStore {
    let token: String
    let grant: AccessGrant?

    func accessGrant(tokenHash: String, now: Date) async throws -> AccessGrant? {
        tokenHash == TokenCrypto.hash(token) ? grant : nil
    }

    func approve(transactionID: String, grant: Grant, code: AuthorizationCode) async throws -> Bool { false }
    func redeemCode(hash: String, now: Date, decide: @Sendable (AuthorizationCode) -> Result<[TokenRecord], OAuthError>)
        async throws -> TokenExchange
    { .unknown }
    func exchangeRefreshToken(
        hash: String, now: Date, grace: TimeInterval, decide: @Sendable (TokenRecord) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange { .unknown }
    func revoke(tokenHash: String, clientID: String, now: Date) async throws {}
    func counts(now: Date) async throws -> TokenCounts { TokenCounts(clients: 0, accessTokens: 0, refreshTokens: 0) }
    func purge(now: Date, unusedClientsBefore: Date) async throws -> PurgeSummary { PurgeSummary() }
}
