import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import NIOCore
import OutboundHTTP
import Synchronization
import Testing

@testable import MCPBackends

/// An OAuth backend's transport sends the person's token with every request, tries once more after a refresh when
/// the backend refuses it, and asks the person to sign in when no token can be had.
struct HTTPExchangeCredentialTests {
    final class Seen: Sendable {
        let authorizations = Mutex<[String]>([])
        var all: [String] { authorizations.withLock { $0 } }
    }

    /// Takes only `Bearer fresh`; answers each request with its id; records the Authorization it saw.
    static func server(seen: Seen) -> some ApplicationProtocol {
        let router = Router()
        router.post("/mcp") { request, _ -> Response in
            let authorization = request.headers[.authorization] ?? ""
            seen.authorizations.withLock { $0.append(authorization) }
            guard authorization == "Bearer fresh" else {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
            }
            let body = try await request.body.collect(upTo: 65536)
            let id = (try? JSONValue.parse(Array(body.readableBytesView)))?["id"] ?? .null
            let answer = JSONRPC.result(id: id, ["ok": true])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: answer.serializedBytes())))
        }
        return Application(router: router)
    }

    /// Hands out `first`, then (once told it was refused and `refreshes`) "fresh".
    final class Credential: BackendCredential {
        let current: Mutex<String?>
        let refreshes: Bool
        let refused = Mutex<[String]>([])

        init(first: String?, refreshes: Bool) {
            current = Mutex(first)
            self.refreshes = refreshes
        }

        func bearer() async throws -> String {
            guard let token = current.withLock({ $0 }) else {
                throw AuthorizationRequired(backend: "up", url: "https://gw.example/me/connect?backend=up")
            }
            return token
        }

        func rejected(_ token: String) async -> Bool {
            refused.withLock { $0.append(token) }
            current.withLock { $0 = refreshes ? "fresh" : nil }
            return refreshes
        }
    }

    func post(_ port: Int, _ credential: Credential) async throws -> JSONValue? {
        let http = OutboundHTTP()
        defer { Task { await http.shutdown() } }
        let exchange = HTTPExchange(http: http, url: "http://127.0.0.1:\(port)/mcp", headers: [], credential: credential)
        let (outcome, _) = try await exchange.post(
            JSONRPC.request(id: 7, method: "tools/call", params: ["name": "x"]), extraHeaders: [], sessionID: nil,
            expectsResponse: true, interim: { _, _ in nil }, postBack: { _ in })
        guard case .response(let value) = outcome else { return nil }
        return value
    }

    @Test func theTokenGoesWithTheRequest() async throws {
        let seen = Seen()
        try await Self.server(seen: seen).test(.live) { server in
            let credential = Credential(first: "fresh", refreshes: false)
            let answer = try await post(server.port!, credential)
            #expect(answer?["result"]?["ok"] == true)
            #expect(seen.all == ["Bearer fresh"])
            #expect(credential.refused.withLock { $0 }.isEmpty)
        }
    }

    @Test func aRefusedTokenIsRefreshedAndTheRequestSentOnceMore() async throws {
        let seen = Seen()
        try await Self.server(seen: seen).test(.live) { server in
            let credential = Credential(first: "stale", refreshes: true)
            let answer = try await post(server.port!, credential)
            #expect(answer?["result"]?["ok"] == true)
            #expect(seen.all == ["Bearer stale", "Bearer fresh"])
            #expect(credential.refused.withLock { $0 } == ["stale"])
        }
    }

    @Test func aRefusedTokenWithoutARefreshAsksThePersonToSignIn() async throws {
        let seen = Seen()
        try await Self.server(seen: seen).test(.live) { server in
            let credential = Credential(first: "stale", refreshes: false)
            await #expect(throws: AuthorizationRequired.self) { _ = try await post(server.port!, credential) }
            #expect(seen.all == ["Bearer stale"], "not sent again")
        }
    }

    @Test func withoutASignInNothingIsSent() async throws {
        let seen = Seen()
        try await Self.server(seen: seen).test(.live) { server in
            let credential = Credential(first: nil, refreshes: false)
            await #expect(throws: AuthorizationRequired.self) { _ = try await post(server.port!, credential) }
            #expect(seen.all.isEmpty)
        }
    }
}
