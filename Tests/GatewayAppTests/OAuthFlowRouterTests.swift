import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import OAuthServer
import Testing

@testable import GatewayApp

/// The whole authorization flow through the router, in process: register, consent, token, /mcp, /status.
@Suite struct OAuthFlowRouterTests {
    let redirectURI = "https://claude.ai/api/mcp/auth_callback"
    let verifier = TokenCrypto.generateToken(byteCount: 48)

    func json(_ buffer: ByteBuffer) throws -> JSONValue { try JSONValue.parse(buffer.readableBytesView) }

    func form(_ fields: [String: String]) -> ByteBuffer {
        var components = URLComponents()
        components.queryItems = fields.map { URLQueryItem(name: $0.key, value: $0.value) }
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return ByteBuffer(string: body)
    }

    func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func registerApproveExchangeAndCallMCP() async throws {
        let app = try await buildApplication(settings: TestGateway.settings(), logger: TestGateway.logger, announce: { _, _ in })
        try await app.test(.router) { client in
            let registration = try await client.execute(
                uri: "/oauth/register", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"client_name":"Router test","redirect_uris":["\#(redirectURI)"]}"#))
            #expect(registration.status == .created)
            #expect(registration.headers[.cacheControl] == "no-store")
            let clientID = try #require(try json(registration.body)["client_id"]?.stringValue)

            var query = URLComponents()
            query.queryItems = [
                .init(name: "response_type", value: "code"), .init(name: "client_id", value: clientID),
                .init(name: "redirect_uri", value: redirectURI), .init(name: "state", value: "s-1"),
                .init(name: "code_challenge", value: PKCE.challenge(for: verifier)),
                .init(name: "code_challenge_method", value: "S256"),
                .init(name: "resource", value: "http://127.0.0.1:4444/mcp"), .init(name: "scope", value: "claudeai"),
            ]
            let page = try await client.execute(uri: "/oauth/authorize?\(query.percentEncodedQuery!)", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.init("X-Frame-Options")!] == "DENY")
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("form-action") == false)
            let html = String(buffer: page.body)
            #expect(html.contains("claude.ai"))
            // Enter in the password field submits the first button, which must be Approve.
            let approve = try #require(html.range(of: #"value="approve""#))
            let deny = try #require(html.range(of: #"value="deny""#))
            #expect(approve.lowerBound < deny.lowerBound)
            let transaction = try #require(hidden("transaction_id", in: html))
            let csrf = try #require(hidden("csrf_token", in: html))

            let approval = try await client.execute(
                uri: "/oauth/authorize", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: form([
                    "transaction_id": transaction, "csrf_token": csrf, "password": TestGateway.password, "decision": "approve",
                ]))
            #expect(approval.status == .seeOther)
            let location = try #require(approval.headers[.location].flatMap(URLComponents.init(string:)))
            let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(items["state"] == "s-1")
            #expect(items["iss"] == "http://127.0.0.1:4444")
            let code = try #require(items["code"])

            let tokenResponse = try await client.execute(
                uri: "/oauth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: form([
                    "grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "client_id": clientID,
                    "code_verifier": verifier,
                ]))
            #expect(tokenResponse.status == .ok)
            let tokens = try json(tokenResponse.body)
            let accessToken = try #require(tokens["access_token"]?.stringValue)
            #expect(tokens["token_type"] == "Bearer")
            #expect(tokens["refresh_token"]?.stringValue != nil)

            let discover = try await client.execute(
                uri: "/mcp", method: .post,
                headers: [
                    .authorization: "Bearer \(accessToken)", .contentType: "application/json",
                    .accept: "application/json, text/event-stream",
                    .init("MCP-Protocol-Version")!: "2026-07-28", .init("Mcp-Method")!: "server/discover",
                ],
                body: ByteBuffer(
                    string:
                        #"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#
                ))
            #expect(discover.status == .ok)
            let result = try json(discover.body)["result"]
            #expect(result?["resultType"] == "complete")
            #expect(result?["supportedVersions"]?.arrayValue?.contains("2026-07-28") == true)
            #expect(result?["supportedVersions"]?.arrayValue?.contains("2025-11-25") == true)

            let status = try await client.execute(
                uri: "/status", method: .get, headers: [.authorization: "Bearer \(accessToken)"])
            #expect(status.status == .ok)
            #expect(try json(status.body)["clients"] == .int(1))
            let unauthenticated = try await client.execute(uri: "/status", method: .get)
            #expect(unauthenticated.status == .unauthorized)
        }
    }

    @Test func mcpChallengeIsAbsolute() async throws {
        let app = try await buildApplication(settings: TestGateway.settings(), logger: TestGateway.logger, announce: { _, _ in })
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/mcp", method: .post, body: ByteBuffer(string: "{}"))
            #expect(response.status == .unauthorized)
            #expect(
                response.headers[.wwwAuthenticate]?.contains(
                    "resource_metadata=\"http://127.0.0.1:4444/.well-known/oauth-protected-resource/mcp\"") == true)
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
        }
    }
}
