import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import OAuthServer

@Suite struct BearerAuthenticatorTests {
    let configuration = OAuthConfiguration.forTests(issuer: "https://gw.example.com")

    func request(authorization: String?, query: String = "") -> Request {
        var head = HTTPRequest(method: .post, scheme: "https", authority: "gw.example.com", path: "/mcp" + query)
        if let authorization { head.headerFields[.authorization] = authorization }
        return Request(head: head, body: .init(buffer: ByteBuffer()))
    }

    func authenticate(_ request: Request, grant: AccessGrant?, scope: String = "mcp") async -> BearerAuthenticator.Outcome {
        let store = OneTokenStore(token: "good-token", grant: grant)
        return await BearerAuthenticator(configuration: configuration, grants: store).authenticate(
            request, acceptedScopes: [scope])
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

@Suite struct PersonalTokenAuthenticationTests {
    let configuration = OAuthConfiguration.forTests(issuer: "https://gw.example.com")

    func outcome(_ token: String, scopes: [String]) async -> BearerAuthenticator.Outcome {
        var head = HTTPRequest(method: .get, scheme: "https", authority: "gw.example.com", path: "/status")
        head.headerFields[.authorization] = "Bearer \(token)"
        let authenticator = BearerAuthenticator(
            configuration: configuration, grants: OneTokenStore(token: "x", grant: nil),
            personalTokens: OnePersonalToken(secret: "mgw_secret"))
        return await authenticator.authenticate(Request(head: head, body: .init(buffer: ByteBuffer())), acceptedScopes: scopes)
    }

    @Test func aPersonalTokenOpensStatusButNotMCP() async {
        guard case .granted(let grant) = await outcome("mgw_secret", scopes: ["status", "mcp"]) else {
            Issue.record("refused")
            return
        }
        #expect(grant.clientID == "token:ci" && grant.grantID == "personal:pt_1")
        guard case .refused(let response) = await outcome("mgw_secret", scopes: ["mcp"]) else {
            Issue.record("granted /mcp")
            return
        }
        #expect(response.status == .forbidden)
        guard case .refused(let unknown) = await outcome("mgw_other", scopes: ["status"]) else {
            Issue.record("granted an unknown token")
            return
        }
        #expect(unknown.status == .unauthorized)
    }
}

struct OnePersonalToken: PersonalTokenStore {
    let secret: String

    func usePersonalToken(hash: String, now: Date) async throws -> PersonalToken? {
        hash == TokenCrypto.hash(secret) ? PersonalToken(id: "pt_1", name: "ci", scopes: ["status"], createdAt: now) : nil
    }
    func insertPersonalToken(_ token: PersonalToken, hash: String) async throws {}
    func personalTokens() async throws -> [PersonalToken] { [] }
    func revokePersonalToken(idOrName: String, now: Date) async throws -> PersonalToken? { nil }
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
