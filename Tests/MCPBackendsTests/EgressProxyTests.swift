import Foundation
import Logging
import MCPCore
import NIOCore
import NIOPosix
import Testing

@testable import MCPBackends

/// The sandbox's egress proxy: which requests it takes, and a live tunnel and refusal over its Unix socket.
struct EgressProxyTests {
    @Test func onlyTunnelsAndAbsoluteHTTPRequestsAreTaken() throws {
        let tunnel = try #require(EgressRequest(head: "CONNECT Example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
        #expect(tunnel.host == "example.com" && tunnel.port == 443 && tunnel.isTunnel)
        #expect(EgressRequest(head: "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n")?.host == "2001:db8::1")
        let plain = try #require(
            EgressRequest(
                head: "GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nProxy-Connection: keep-alive\r\n"
                    + "Proxy-Authorization: Basic eA==\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n"))
        #expect(plain.host == "example.com" && plain.port == 8080 && !plain.isTunnel)
        #expect(
            plain.forwardedHead
                == "GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nConnection: close\r\n\r\n")
        for head in [
            "GET /relative HTTP/1.1\r\n\r\n", "GET https://example.com/ HTTP/1.1\r\n\r\n", "CONNECT example.com HTTP/1.1\r\n\r\n",
            "CONNECT example.com:0 HTTP/1.1\r\n\r\n", "CONNECT user@example.com:443 HTTP/1.1\r\n\r\n",
            "GET http://user:pw@example.com/ HTTP/1.1\r\n\r\n", "CONNECT example.com:443 SPDY/3\r\n\r\n", "garbage\r\n\r\n",
        ] {
            #expect(EgressRequest(head: head) == nil, "\(head)")
        }
    }

    /// Sends `request` to the proxy at `socket` and returns all it answers until it closes (or `echo` comes back).
    static func exchange(_ socket: String, _ request: String, until echo: String? = nil) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socket) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await withTimeout(.seconds(10)) {
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: request))
                var answer = ""
                for try await chunk in inbound {
                    answer += String(buffer: chunk)
                    if let echo, answer.contains(echo) { break }
                }
                return answer
            }
        }
    }

    @Test func aRefusedDestinationGets403AndAnAllowedOneATunnel() async throws {
        // An echo server standing in for the world.
        let echo = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(echo.localAddress?.port)
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("egress-\(UUID().uuidString).sock").path
        let proxy = try await EgressProxy.start(
            socketPath: socket,
            policy: { host, _ in host == "world.test" ? .connect(host: "127.0.0.1") : .refused("it is private") },
            logger: Logger(label: "test"))
        let refused = try await Self.exchange(socket, "CONNECT 10.0.0.1:443 HTTP/1.1\r\nHost: 10.0.0.1:443\r\n\r\n")
        #expect(refused.hasPrefix("HTTP/1.1 403 Forbidden") && refused.contains("refused: 10.0.0.1:443: it is private"))
        let malformed = try await Self.exchange(socket, "GET /x HTTP/1.1\r\n\r\n")
        #expect(malformed.hasPrefix("HTTP/1.1 400 "))
        let tunnel = try await Self.exchange(
            socket, "CONNECT world.test:\(port) HTTP/1.1\r\n\r\nhello through", until: "hello through")
        #expect(tunnel.hasPrefix("HTTP/1.1 200 Connection Established\r\n\r\n") && tunnel.hasSuffix("hello through"))
        await proxy.close()
        try await echo.close()
        try? FileManager.default.removeItem(atPath: socket)
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}
