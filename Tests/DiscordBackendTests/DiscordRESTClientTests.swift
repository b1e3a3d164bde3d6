import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCPCore
import OutboundHTTP
import Synchronization
import Testing

@testable import DiscordBackend

/// A few of Discord's answers on loopback: enough to see the client's headers, waits and messages.
@Suite struct DiscordRESTClientTests {
    static let token = "test-bot-token.XYZ"
    static let channel = "111111111111111111"

    final class Seen: Sendable {
        let requests = Mutex<[(String, String?, String?, String?)]>([])
    }

    func makeFake(_ seen: Seen) -> some ApplicationProtocol {
        let router = Router()
        let messagesCalls = Mutex(0)
        router.post("/api/v10/channels/:channel/messages") { request, _ -> Response in
            seen.requests.withLock {
                $0.append(
                    (
                        "POST", request.headers[.authorization], request.headers[.userAgent],
                        request.headers[HTTPField.Name("X-Audit-Log-Reason")!]
                    ))
            }
            guard request.headers[.authorization] == "Bot \(Self.token)" else {
                return Response(
                    status: .unauthorized,
                    body: .init(byteBuffer: ByteBuffer(string: #"{"message": "401: Unauthorized", "code": 0}"#)))
            }
            let call = messagesCalls.withLock { count in
                count += 1
                return count
            }
            if call == 1 {
                return Response(
                    status: .tooManyRequests,
                    headers: [
                        .contentType: "application/json", HTTPField.Name("X-RateLimit-Bucket")!: "msgs",
                        HTTPField.Name("X-RateLimit-Scope")!: "user",
                    ],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            string: #"{"message": "You are being rate limited.", "retry_after": 0.2, "global": false}"#)))
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/json", HTTPField.Name("X-RateLimit-Bucket")!: "msgs",
                    HTTPField.Name("X-RateLimit-Remaining")!: "4", HTTPField.Name("X-RateLimit-Reset-After")!: "1.0",
                ],
                body: .init(byteBuffer: ByteBuffer(string: #"{"id": "222222222222222222", "content": "hi"}"#)))
        }
        router.delete("/api/v10/channels/:channel") { _, _ -> Response in
            Response(
                status: .forbidden, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"message": "Missing Permissions", "code": 50013}"#)))
        }
        router.get("/api/v10/guilds/:guild") { _, _ -> Response in
            Response(
                status: .tooManyRequests, headers: [.contentType: "application/json"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: #"{"message": "You are being rate limited.", "retry_after": 120.5, "global": false}"#)))
        }
        return Application(router: router)
    }

    func withClient(_ port: Int, _ body: (DiscordRESTClient) async throws -> Void) async throws {
        let http = OutboundHTTP()
        let client = DiscordRESTClient(
            configuration: .init(baseURL: "http://127.0.0.1:\(port)/api/v10", botToken: Self.token, version: "test"), http: http
        )
        do {
            try await body(client)
        } catch {
            await http.shutdown()
            throw error
        }
        await http.shutdown()
    }

    @Test func aShort429IsWaitedOutAndTheHeadersAreDiscords() async throws {
        let seen = Seen()
        try await makeFake(seen).test(.live) { fake in
            try await withClient(fake.port!) { client in
                let response = try await client.send(
                    DiscordRoute("POST", "/channels/\(Self.channel)/messages"), body: ["content": "hi"], reason: "welcome #new",
                    action: "send the message")
                #expect(response.body?["id"] == "222222222222222222")
            }
        }
        let requests = seen.requests.withLock { $0 }
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.1 == "Bot \(Self.token)" && $0.2?.hasPrefix("DiscordBot (") == true })
        #expect(requests.first?.3 == "welcome%20%23new")
    }

    @Test func refusalsAndLongLimitsAreClearAndNeverShowTheToken() async throws {
        try await makeFake(Seen()).test(.live) { fake in
            try await withClient(fake.port!) { client in
                do {
                    _ = try await client.send(DiscordRoute("DELETE", "/channels/\(Self.channel)"), action: "delete the channel")
                    Issue.record("the delete should have failed")
                } catch let error as DiscordRESTClient.Failure {
                    #expect(error.code == 50013 && error.description.contains("lacks a permission"))
                    #expect(!error.description.contains(Self.token))
                }
                do {
                    _ = try await client.send(DiscordRoute("GET", "/guilds/\(Self.channel)"), action: "read the server")
                    Issue.record("the long rate limit should have failed")
                } catch let error as DiscordRESTClient.Failure {
                    #expect(error.status == 429)
                    #expect(error.description.contains("needs 121 s"), "\(error.description)")
                }
            }
        }
    }
}
