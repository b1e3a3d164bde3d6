import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Mustache
import OAuthServer
import Storage
import Testing

@testable import GatewayApp

/// Lifetimes under a clock the test moves: a consent form lives 10 minutes, a code 5.
@Suite struct ExpiryTests {
    let redirect = "https%3A%2F%2Fa.example%2Fcb"

    @Test func aLateConsentAnswerIsRefused() async throws {
        try await withGateway { client, clock, database in
            let form = try await openConsent(client)
            clock.advance(by: 601)
            let late = try await answer(form, client)
            #expect(late.status == .badRequest)
            #expect(late.headers[.location] == nil)
            #expect(try await database.counts(now: clock.now).accessTokens == 0)
        }
    }

    @Test func aLateCodeIsRefused() async throws {
        try await withGateway { client, clock, database in
            let approval = try await answer(try await openConsent(client), client)
            #expect(approval.status == .seeOther)
            let location = try #require(approval.headers[.location].flatMap(URLComponents.init(string:)))
            let code = try #require(location.queryItems?.first { $0.name == "code" }?.value)
            clock.advance(by: 301)
            let exchange = try await client.execute(
                uri: "/oauth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(
                    string: "grant_type=authorization_code&client_id=client-1&redirect_uri=\(redirect)&code=\(code)"
                        + "&code_verifier=\(verifier)"))
            #expect(exchange.status == .badRequest)
            #expect(String(buffer: exchange.body).contains("\"invalid_grant\""))
            #expect(try await database.counts(now: clock.now).accessTokens == 0)
        }
    }

    let verifier = TokenCrypto.generateToken(byteCount: 48)

    struct ConsentForm {
        var transactionID: String
        var csrfToken: String
    }

    func openConsent(_ client: some TestClientProtocol) async throws -> ConsentForm {
        let page = try await client.execute(
            uri: "/oauth/authorize?response_type=code&client_id=client-1&redirect_uri=\(redirect)"
                + "&code_challenge=\(PKCE.challenge(for: verifier))&code_challenge_method=S256&state=x",
            method: .get)
        #expect(page.status == .ok)
        let html = String(buffer: page.body)
        func hidden(_ name: String) throws -> String {
            let start = try #require(html.range(of: "name=\"\(name)\" value=\"")).upperBound
            return String(html[start...].prefix { $0 != "\"" })
        }
        return ConsentForm(transactionID: try hidden("transaction_id"), csrfToken: try hidden("csrf_token"))
    }

    func answer(_ form: ConsentForm, _ client: some TestClientProtocol) async throws -> TestResponse {
        let body =
            "transaction_id=\(form.transactionID)&csrf_token=\(form.csrfToken)"
            + "&password=\(TestGateway.password.replacingOccurrences(of: " ", with: "+"))&decision=approve"
        return try await client.execute(
            uri: "/oauth/authorize", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body))
    }

    /// The authorization and token endpoints on a fresh database, with one registered client and a manual clock.
    func withGateway(_ test: @Sendable (any TestClientProtocol, ManualClock, GatewayDatabase) async throws -> Void)
        async throws
    {
        let clock = ManualClock()
        let settings = TestGateway.settings()
        let database = try GatewayDatabase(path: settings.databasePath)
        var configuration = settings.oauthConfiguration
        (configuration.accessTokenTTL, configuration.refreshTokenTTL, configuration.refreshReuseGrace) = (3600, 86400, 30)
        let router = Router(context: GatewayRequestContext.self)
        AuthorizationController<GatewayRequestContext>(
            configuration: configuration, clients: database, transactions: database, grants: database,
            metadataDocuments: nil,
            pages: ConsentPages(library: try await MustacheLibrary(directory: TestGateway.templatesDirectory)),
            throttle: ConsentThrottle(), operatorPassword: .fixed(try PasswordHasher.hash(TestGateway.password, logN: 10)),
            now: { clock.now }
        ).addRoutes(to: router)
        try await database.insertClient(
            OAuthClient(
                id: "client-1", kind: .registered, name: "Late", redirectURIs: ["https://a.example/cb"], authMethod: .none,
                secretHash: nil, metadataJSON: "{}", createdAt: clock.now))

        TokenController<GatewayRequestContext>(
            configuration: configuration, clients: database, grants: database, now: { clock.now }
        ).addRoutes(to: router)
        try await Application(router: router).test(.router) { client in try await test(client, clock, database) }
    }
}

final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()
    var now: Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}
