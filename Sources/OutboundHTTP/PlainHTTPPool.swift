import NIOCore
import NIOPosix
import Synchronization

/// The engine for plain http: HTTP/1.1 on NIO, one request at a time per connection, connections kept per address
/// for the next request. Backends next to the gateway (a sidecar, a compose service, loopback) are reached this way,
/// and it is the hot path of a forwarded call, so it does no more than a request needs: a connection taken from the
/// pool, the request written with one flush, the answer fed to the reader as it is decoded.
final class PlainHTTPPool: Sendable {
    struct Address: Hashable, Sendable {
        let host: String
        let port: Int
    }

    private struct Kept {
        var connections: [Address: [PlainHTTPConnection]] = [:]
        var isShutDown = false
    }

    private let kept = Mutex(Kept())
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    /// Enough for every connection of a busy backend under load; more than these are closed when their answer ends.
    private let keptPerAddress: Int
    private let pinnedAddresses: [String: String]

    init(connectTimeout: Duration, idleTimeout: Duration, keptPerAddress: Int, pinnedAddresses: [String: String]) {
        self.connectTimeout = .nanoseconds(connectTimeout.nanoseconds)
        self.idleTimeout = .nanoseconds(idleTimeout.nanoseconds)
        self.keptPerAddress = keptPerAddress
        self.pinnedAddresses = pinnedAddresses
    }

    func start(_ request: OutboundRequest, reader: AnswerReader, timeout: Duration?) {
        let address = Address(host: pinnedAddresses[request.target.host] ?? request.target.host, port: request.target.port)
        let running = PlainRequest(request: request, address: address, reader: reader, pool: self)
        reader.attach(running, timeout: timeout)
        running.run()
    }

    /// A kept connection to `address` that is still open, or nil.
    func takeKept(_ address: Address) -> PlainHTTPConnection? {
        kept.withLock { kept in
            while let connection = kept.connections[address]?.popLast() {
                if connection.channel.isActive { return connection }
            }
            return nil
        }
    }

    func connect(_ address: Address, on eventLoop: any EventLoop) -> EventLoopFuture<PlainHTTPConnection> {
        if kept.withLock({ $0.isShutDown }) {
            return eventLoop.makeFailedFuture(OutboundHTTPError.unreachable("the HTTP client is shut down"))
        }
        let idleTimeout = idleTimeout
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PlainHTTPHandler(idleTimeout: idleTimeout))
                }
            }
            .connect(host: address.host, port: address.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: PlainHTTPHandler.self)
                let connection = PlainHTTPConnection(
                    address: address, channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                channel.closeFuture.whenComplete { [weak self] _ in self?.forget(connection) }
                return connection
            }
    }

    /// Keeps a connection whose answer has ended, for the next request to its address.
    func keep(_ connection: PlainHTTPConnection) {
        let kept = kept.withLock { kept in
            guard !kept.isShutDown, kept.connections[connection.address, default: []].count < keptPerAddress
            else { return false }
            kept.connections[connection.address, default: []].append(connection)
            return true
        }
        if !kept { connection.channel.close(promise: nil) }
    }

    private func forget(_ connection: PlainHTTPConnection) {
        kept.withLock { kept in
            kept.connections[connection.address]?.removeAll { $0 === connection }
            if kept.connections[connection.address]?.isEmpty == true { kept.connections[connection.address] = nil }
        }
    }

    /// Closes the kept connections; requests under way end as their connections do.
    func shutdown() async {
        let open = kept.withLock { kept in
            kept.isShutDown = true
            defer { kept.connections = [:] }
            return kept.connections.values.flatMap { $0 }
        }
        for connection in open { try? await connection.channel.close() }
    }
}

/// One connection of the pool and its handler (reached on the connection's event loop only).
final class PlainHTTPConnection: Sendable {
    let address: PlainHTTPPool.Address
    let channel: any Channel
    let handler: NIOLoopBound<PlainHTTPHandler>

    init(address: PlainHTTPPool.Address, channel: any Channel, handler: NIOLoopBound<PlainHTTPHandler>) {
        self.address = address
        self.channel = channel
        self.handler = handler
    }
}
