import Foundation
import Logging
import NIOCore
import NIOPosix

/// Where a sandboxed command may connect: the host to connect to (an address the policy checked, or a name it
/// allows), or why not.
public enum EgressDecision: Sendable, Equatable {
    case connect(host: String)
    case refused(String)
}

/// Decides on one destination (host and port) a sandboxed command asked for.
public typealias EgressPolicy = @Sendable (_ host: String, _ port: Int) async -> EgressDecision

/// The gateway's HTTP proxy for one sandbox, on a Unix socket that is bound into the sandbox (whose own network has
/// nothing but loopback). It takes `CONNECT host:port` (HTTPS and any TLS) and plain `http://` requests in absolute
/// form, asks the policy about each destination, and joins the two connections byte for byte; a refusal is an HTTP
/// 403 with the reason. It never reads what goes through a tunnel.
public final class EgressProxy: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    public static func start(socketPath: String, policy: @escaping EgressPolicy, logger: Logger) async throws -> EgressProxy {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EgressRequestHandler(policy: policy, logger: logger))
                }
            }
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).get()
        // The sandbox's own user connects to it through the bind; the directory around it keeps everyone else out.
        chmod(socketPath, 0o666)
        return EgressProxy(channel: channel)
    }

    /// Stops taking connections; tunnels open now end with their sandbox.
    public func close() async {
        try? await channel.close()
    }
}

/// Reads one request head from the sandbox, then becomes a tunnel (or answers a refusal and closes).
final class EgressRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let headLimit = 16 * 1024
    let policy: EgressPolicy
    let logger: Logger
    private var received = ByteBuffer()
    private var deciding = false

    init(policy: @escaping EgressPolicy, logger: Logger) {
        self.policy = policy
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        guard !deciding else { return }
        let view = received.readableBytesView
        guard let end = view.firstRange(of: [0x0D, 0x0A, 0x0D, 0x0A]) else {
            if received.readableBytes > Self.headLimit { answer(context, 431, "the request head is too large") }
            return
        }
        let head = String(decoding: view[view.startIndex..<end.upperBound], as: UTF8.self)
        received.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
        guard let request = EgressRequest(head: head) else {
            answer(context, 400, "only CONNECT host:port and absolute http:// requests go through this proxy")
            return
        }
        deciding = true
        context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let policy = policy
        context.eventLoop.makeFutureWithTask { await policy(request.host, request.port) }.whenSuccess { decision in
            let (handler, context) = bound.value
            handler.proceed(context, request: request, decision: decision)
        }
    }

    private func proceed(_ context: ChannelHandlerContext, request: EgressRequest, decision: EgressDecision) {
        guard case .connect(let host) = decision else {
            if case .refused(let reason) = decision {
                logger.info(
                    "sandbox network request refused",
                    metadata: ["destination": "\(request.host):\(request.port)", "reason": "\(reason)"])
                answer(context, 403, "refused: \(request.host):\(request.port): \(reason)")
            }
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: host, port: request.port)
            .whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .success(let upstream): handler.join(context, upstream: upstream, request: request)
                case .failure(let error):
                    handler.answer(context, 502, "cannot reach \(request.host):\(request.port): \(error)")
                }
            }
    }

    /// The destination answered: the tunnel opens (CONNECT), or the rewritten request goes on (plain http), and from
    /// then on the two connections are glued together.
    private func join(_ context: ChannelHandlerContext, upstream: any Channel, request: EgressRequest) {
        let (inside, outside) = GlueHandler.matchedPair()
        if request.isTunnel {
            context.writeAndFlush(
                wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n")), promise: nil)
        } else {
            upstream.write(ByteBuffer(string: request.forwardedHead), promise: nil)
        }
        if received.readableBytes > 0 { upstream.write(received, promise: nil) }
        upstream.flush()
        received = ByteBuffer()
        do {
            try upstream.pipeline.syncOperations.addHandler(outside)
            try context.pipeline.syncOperations.addHandler(inside)
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        } catch {
            upstream.close(promise: nil)
            context.close(promise: nil)
            return
        }
        context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
    }

    private func answer(_ context: ChannelHandlerContext, _ status: Int, _ message: String) {
        let reasons = [400: "Bad Request", 403: "Forbidden", 431: "Request Header Fields Too Large", 502: "Bad Gateway"]
        let body = message + "\n"
        let head =
            "HTTP/1.1 \(status) \(reasons[status] ?? "Error")\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head + body))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// The first request of a proxy connection: a tunnel to `host:port`, or a plain http request to pass on.
struct EgressRequest: Sendable, Equatable {
    var host: String
    var port: Int
    var isTunnel: Bool
    /// For a plain request: its head in origin form, its proxy headers left out, closing after the answer.
    var forwardedHead: String

    init?(head: String) {
        var lines = head.components(separatedBy: "\r\n")
        while lines.last == "" { lines.removeLast() }
        let parts = lines.first?.split(separator: " ", omittingEmptySubsequences: false) ?? []
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        let method = String(parts[0])
        let target = String(parts[1])
        if method == "CONNECT" {
            guard let (host, port) = Self.authority(target) else { return nil }
            self.init(host: host, port: port, isTunnel: true, forwardedHead: "")
            return
        }
        guard let url = URLComponents(string: target), url.scheme?.lowercased() == "http", let host = url.host,
            !host.isEmpty, url.user == nil, url.password == nil
        else { return nil }
        let path =
            (url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath)
            + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
        var forwarded = ["\(method) \(path) \(parts[2])"]
        for line in lines.dropFirst() {
            let name = line.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            if ["proxy-connection", "proxy-authorization", "connection", "keep-alive"].contains(name) { continue }
            forwarded.append(line)
        }
        forwarded.append("Connection: close")
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.init(
            host: bare.lowercased(), port: url.port ?? 80, isTunnel: false,
            forwardedHead: forwarded.joined(separator: "\r\n") + "\r\n\r\n")
    }

    init(host: String, port: Int, isTunnel: Bool, forwardedHead: String) {
        self.host = host
        self.port = port
        self.isTunnel = isTunnel
        self.forwardedHead = forwardedHead
    }

    /// `host:port` or `[v6]:port`, with a port in range.
    static func authority(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else { return nil }
        return (host.lowercased(), port)
    }
}
