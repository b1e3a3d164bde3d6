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

/// The consent transaction lives 10 minutes: a form answered later issues nothing.
@Suite struct ConsentExpiryTests {
    @Test func aLateAnswerIsRefused() async throws {
        let clock = ManualClock()
        let settings = TestGateway.settings()
        let database = try GatewayDatabase(path: settings.databasePath)
        let configuration = OAuthConfiguration(
            issuer: settings.issuerURL, accessTokenTTL: 3600, refreshTokenTTL: 86400, refreshReuseGrace: 30)
        let router = Router(context: GatewayRequestContext.self)
        AuthorizationController<GatewayRequestContext>(
            configuration: configuration, clients: database, transactions: database, grants: database,
            metadataDocuments: nil,
            pages: ConsentPages(library: try await MustacheLibrary(directory: TestGateway.templatesDirectory)),
            throttle: ConsentThrottle(), operatorPasswordHash: try PasswordHasher.hash(TestGateway.password, logN: 10),
            now: { clock.now }
        ).addRoutes(to: router)
        try await database.insertClient(
            OAuthClient(
                id: "client-1", kind: .registered, name: "Late", redirectURIs: ["https://a.example/cb"], authMethod: .none,
                secretHash: nil, metadataJSON: "{}", createdAt: clock.now))

        try await Application(router: router).test(.router) { client in
            let challenge = PKCE.challenge(for: TokenCrypto.generateToken(byteCount: 48))
            let page = try await client.execute(
                uri: "/oauth/authorize?response_type=code&client_id=client-1&redirect_uri=https%3A%2F%2Fa.example%2Fcb"
                    + "&code_challenge=\(challenge)&code_challenge_method=S256&state=x",
                method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            func hidden(_ name: String) -> String {
                let start = html.range(of: "name=\"\(name)\" value=\"")!.upperBound
                return String(html[start...].prefix { $0 != "\"" })
            }
            let body =
                "transaction_id=\(hidden("transaction_id"))&csrf_token=\(hidden("csrf_token"))"
                + "&password=\(TestGateway.password.replacingOccurrences(of: " ", with: "+"))&decision=approve"

            clock.advance(by: 601)
            let late = try await client.execute(
                uri: "/oauth/authorize", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: body))
            #expect(late.status == .badRequest)
            #expect(late.headers[.location] == nil)
            #expect(try await database.counts(now: clock.now).accessTokens == 0)
        }
    }
}

final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()
    var now: Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}
