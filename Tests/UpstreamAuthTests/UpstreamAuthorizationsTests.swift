import Accounts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MCPCore
import NIOCore
import OAuthServer
import OutboundHTTP
import Synchronization
import Testing

@testable import UpstreamAuth

/// The gateway as an OAuth client of an upstream, against a small authorization server of the test's own: the
/// authorization request it builds, the callback bound to the member who started it, tokens sealed and refreshed,
/// a refused refresh forgetting the sign-in, and the order in which it finds an identity.
struct UpstreamAuthorizationsTests {
    /// What the fake authorization server keeps and saw.
    final class Upstream: Sendable {
        struct State {
            var challenges: [String: String] = [:]
            var refreshToken = "rt-1"
            var accessTokens = 0
            var registrations = 0
            var revoked: [String] = []
            var tokenRequests: [FormBody] = []
        }
        let state = Mutex(State())
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.serializedBytes())))
    }

    static func form(_ request: Request) async throws -> FormBody {
        FormBody(String(buffer: try await request.body.collect(upTo: 65536)))
    }

    static func server(_ upstream: Upstream, dynamicRegistration: Bool = true) -> some ApplicationProtocol {
        let router = Router()
        router.get("/.well-known/oauth-protected-resource/mcp") { request, _ in
            let base = "http://\(request.head.authority ?? "")"
            return json([
                "resource": .string(base + "/mcp"), "authorization_servers": [.string(base)], "scopes_supported": ["mcp"],
            ])
        }
        router.get("/.well-known/oauth-authorization-server") { request, _ in
            let base = "http://\(request.head.authority ?? "")"
            var metadata: [String: JSONValue] = [
                "issuer": .string(base), "authorization_endpoint": .string(base + "/authorize"),
                "token_endpoint": .string(base + "/token"), "revocation_endpoint": .string(base + "/revoke"),
                "code_challenge_methods_supported": ["S256"],
            ]
            if dynamicRegistration { metadata["registration_endpoint"] = .string(base + "/register") }
            return json(.object(metadata))
        }
        router.post("/register") { _, _ in
            upstream.state.withLock { $0.registrations += 1 }
            return json(["client_id": "registered-client"], status: .created)
        }
        router.post("/revoke") { request, _ in
            let form = try await form(request)
            upstream.state.withLock { $0.revoked.append(form["token"] ?? "") }
            return Response(status: .ok)
        }
        router.post("/token") { request, _ in
            let form = try await form(request)
            return upstream.state.withLock { state -> Response in
                state.tokenRequests.append(form)
                switch form["grant_type"] {
                case "authorization_code":
                    guard let verifier = form["code_verifier"], let challenge = state.challenges[form["code"] ?? ""],
                        PKCE.verify(verifier: verifier, challenge: challenge)
                    else { return json(["error": "invalid_grant"], status: .badRequest) }
                case "refresh_token":
                    guard form["refresh_token"] == state.refreshToken else {
                        return json(["error": "invalid_grant"], status: .badRequest)
                    }
                default:
                    return json(["error": "unsupported_grant_type"], status: .badRequest)
                }
                state.accessTokens += 1
                state.refreshToken = "rt-\(state.accessTokens + 1)"
                return json([
                    "access_token": .string("at-\(state.accessTokens)"), "token_type": "Bearer", "expires_in": 3600,
                    "refresh_token": .string(state.refreshToken),
                ])
            }
        }
        return Application(router: router)
    }

    final class Changes: Sendable {
        let seen = Mutex<[String]>([])
    }

    /// The backends as a test sets them: each usable by everyone, or only by the users listed for it.
    final class Directory: UpstreamBackendDirectory {
        let entries: Mutex<[(backend: UpstreamBackendAuth, users: Set<String>?)]>

        init(_ entries: [(backend: UpstreamBackendAuth, users: Set<String>?)]) { self.entries = Mutex(entries) }

        func backend(_ name: String) async -> UpstreamBackendAuth? {
            entries.withLock { $0.first { $0.backend.name == name }?.backend }
        }

        func backends(usableBy userID: String?) async -> [UpstreamBackendAuth] {
            entries.withLock { entries in
                entries.filter { entry in userID.map { entry.users?.contains($0) ?? true } ?? true }.map(\.backend)
            }
        }

        func remove(_ name: String) { entries.withLock { $0.removeAll { $0.backend.name == name } } }
    }

    static func authorizations(
        port: Int, store: InMemoryUpstreamTokenStore, changes: Changes, http: OutboundHTTP, clientID: String? = nil,
        directory: Directory? = nil
    ) -> UpstreamAuthorizations {
        let backend = UpstreamBackendAuth(
            name: "up", url: "http://127.0.0.1:\(port)/mcp", clientID: clientID, clientSecret: clientID.map { _ in "s3cret" })
        return UpstreamAuthorizations(
            backends: directory ?? Directory([(backend, nil)]), urls: UpstreamAuthURLs(issuer: "https://gw.example"), http: http,
            policy: { _ in nil }, store: store, sealer: SecretSealer(masterKey: .generate()),
            salts: { user in user == "nobody" ? nil : Array(repeating: 7, count: 32) },
            onChange: { backend, user in changes.seen.withLock { $0.append("\(backend)/\(user)") } },
            logger: Logger(label: "test"))
    }

    /// Starts a sign-in for `user` and plays the upstream's part: the code it would send back, with the challenge.
    static func signIn(_ authorizations: UpstreamAuthorizations, _ upstream: Upstream, user: String) async throws -> (
        state: String, query: FormBody
    ) {
        let location = try await authorizations.begin(backend: "up", userID: user)
        let query = FormBody(String(location.split(separator: "?", maxSplits: 1)[1]))
        let code = "code-\(user)"
        upstream.state.withLock { $0.challenges[code] = query["code_challenge"] }
        return (query["state"] ?? "", query)
    }

    @Test func aMemberSignsInAndTheTokenIsSealedAndRefreshedWhenRefused() async throws {
        let upstream = Upstream()
        try await Self.server(upstream).test(.live) { server in
            let http = OutboundHTTP()
            let store = InMemoryUpstreamTokenStore()
            let changes = Changes()
            let authorizations = Self.authorizations(port: server.port!, store: store, changes: changes, http: http)
            let credential = authorizations.credential(backend: "up", userID: "discord:1")
            await #expect(throws: AuthorizationRequired.self) { _ = try await credential.bearer() }

            let (state, query) = try await Self.signIn(authorizations, upstream, user: "discord:1")
            #expect(query["response_type"] == "code" && query["code_challenge_method"] == "S256")
            #expect(query["resource"] == "http://127.0.0.1:\(server.port!)/mcp" && query["scope"] == "mcp")
            #expect(
                query["client_id"] == "registered-client" && query["redirect_uri"] == "https://gw.example/oauth/upstream/callback"
            )
            #expect(
                try await authorizations.complete(state: state, code: "code-discord:1", error: nil, userID: "discord:1") == "up")
            #expect(changes.seen.withLock { $0 } == ["up/discord:1"])
            #expect(try await credential.bearer() == "at-1")
            let grant = try #require(await store.grant(backend: "up", userID: "discord:1"))
            #expect(!grant.sealedAccessToken.contains("at-1") && grant.sealedRefreshToken?.contains("rt-") == false)

            // Refused by the backend: refreshed (the rotated refresh token kept), and the new token handed out.
            #expect(await credential.rejected("at-1"))
            #expect(try await credential.bearer() == "at-2")
            // Refused again after the upstream dropped the grant: the sign-in is forgotten, the member asked again.
            upstream.state.withLock { $0.refreshToken = "revoked" }
            #expect(await !credential.rejected("at-2"))
            await #expect(throws: AuthorizationRequired.self) { _ = try await credential.bearer() }
            #expect(await store.grant(backend: "up", userID: "discord:1") == nil)
            #expect(changes.seen.withLock { $0 } == ["up/discord:1", "up/discord:1"])
            #expect(upstream.state.withLock { $0.registrations } == 1)
            await http.shutdown()
        }
    }

    @Test func onlyThoseWhoMayUseABackendSignInAndAForgottenBackendTakesEverySignInAlong() async throws {
        let upstream = Upstream()
        try await Self.server(upstream).test(.live) { server in
            let http = OutboundHTTP()
            let store = InMemoryUpstreamTokenStore()
            let shared = UpstreamBackendAuth(
                name: "b1", displayName: "issues", url: "http://127.0.0.1:\(server.port!)/mcp")
            let directory = Directory([(shared, ["discord:1", "discord:2"])])
            let authorizations = Self.authorizations(
                port: server.port!, store: store, changes: Changes(), http: http, directory: directory)
            await #expect(throws: UpstreamAuthError.unknownBackend("b1")) {
                _ = try await authorizations.begin(backend: "b1", userID: "discord:3")
            }
            #expect(await authorizations.backends(usableBy: "discord:3").isEmpty)
            for user in ["discord:1", "discord:2"] {
                let location = try await authorizations.begin(backend: "b1", userID: user)
                let query = FormBody(String(location.split(separator: "?", maxSplits: 1)[1]))
                upstream.state.withLock { $0.challenges["code-\(user)"] = query["code_challenge"] }
                // The page names the backend by the name people know it by.
                #expect(
                    try await authorizations.complete(
                        state: query["state"] ?? "", code: "code-\(user)", error: nil, userID: user) == "issues")
            }
            let status = await authorizations.status(for: "discord:1")
            #expect(status == [["name": "issues", "id": "b1", "connected_members": 2, "you": "signed in"]])
            #expect(await store.registeredClient(backend: "b1") != nil)

            directory.remove("b1")
            await authorizations.forgetBackend(shared)
            #expect(await store.grants(backend: "b1").isEmpty)
            #expect(await store.registeredClient(backend: "b1") == nil)
            // Both members' refresh and access tokens were revoked at the upstream.
            #expect(upstream.state.withLock { Set($0.revoked) }.count == 4)
            await #expect(throws: AuthorizationRequired.self) {
                _ = try await authorizations.credential(backend: "b1", userID: "discord:1").bearer()
            }
            await http.shutdown()
        }
    }

    @Test func aStateIsSingleUseAndOnlyItsMemberFinishesIt() async throws {
        let upstream = Upstream()
        try await Self.server(upstream).test(.live) { server in
            let http = OutboundHTTP()
            let store = InMemoryUpstreamTokenStore()
            let authorizations = Self.authorizations(port: server.port!, store: store, changes: Changes(), http: http)
            let (state, _) = try await Self.signIn(authorizations, upstream, user: "discord:1")
            await #expect(throws: UpstreamAuthError.unknownState) {
                _ = try await authorizations.complete(state: state, code: "code-discord:1", error: nil, userID: "discord:2")
            }
            await #expect(throws: UpstreamAuthError.unknownState) {
                _ = try await authorizations.complete(state: state, code: "code-discord:1", error: nil, userID: "discord:1")
            }
            // A callback naming another authorization server (RFC 9207's mix-up defence) is refused.
            let (mixed, _) = try await Self.signIn(authorizations, upstream, user: "discord:1")
            do {
                _ = try await authorizations.complete(
                    state: mixed, code: "code-discord:1", error: nil, issuer: "https://evil.example", userID: "discord:1")
                Issue.record("a callback from another issuer was accepted")
            } catch {
                #expect("\(error)".contains("evil.example"))
            }
            let (second, _) = try await Self.signIn(authorizations, upstream, user: "discord:1")
            await #expect(throws: UpstreamAuthError.refused(error: "access_denied", description: nil)) {
                _ = try await authorizations.complete(state: second, code: nil, error: "access_denied", userID: "discord:1")
            }
            #expect(await store.grant(backend: "up", userID: "discord:1") == nil)
            #expect(upstream.state.withLock { $0.tokenRequests.isEmpty }, "no code was exchanged")
            await http.shutdown()
        }
    }

    @Test func aConfiguredClientComesFirstAndAuthenticatesWithItsSecret() async throws {
        let upstream = Upstream()
        try await Self.server(upstream, dynamicRegistration: false).test(.live) { server in
            let http = OutboundHTTP()
            let authorizations = Self.authorizations(
                port: server.port!, store: InMemoryUpstreamTokenStore(), changes: Changes(), http: http, clientID: "made-by-hand")
            let (state, query) = try await Self.signIn(authorizations, upstream, user: "discord:1")
            #expect(query["client_id"] == "made-by-hand")
            _ = try await authorizations.complete(state: state, code: "code-discord:1", error: nil, userID: "discord:1")
            #expect(upstream.state.withLock { $0.registrations } == 0)
            await authorizations.disconnect(backend: "up", userID: "discord:1")
            #expect(upstream.state.withLock { $0.revoked }.sorted() == ["at-1", "rt-2"])
            await http.shutdown()
        }
    }

    @Test func withoutRegistrationOrAClientTheMessageSaysWhatToSet() async throws {
        try await Self.server(Upstream(), dynamicRegistration: false).test(.live) { server in
            let http = OutboundHTTP()
            let authorizations = Self.authorizations(
                port: server.port!, store: InMemoryUpstreamTokenStore(), changes: Changes(), http: http)
            do {
                _ = try await authorizations.begin(backend: "up", userID: "discord:1")
                Issue.record("a sign-in started without a client identity")
            } catch {
                #expect("\(error)".contains("oauth_client_id") && "\(error)".contains("/oauth/upstream/callback"))
            }
            await http.shutdown()
        }
    }
}
