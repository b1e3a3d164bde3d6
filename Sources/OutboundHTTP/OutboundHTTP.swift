import AsyncHTTPClient
import Foundation
import MCPCore
import NIOCore
import NIOHTTP1
import Synchronization

/// The gateway's one way out over HTTP: backends, Discord's API and client metadata documents all go through it, so
/// body limits, timeouts, redirects and the wording of failures are decided once.
///
/// It runs on AsyncHTTPClient's callback API: the answer is read on the connection's event loop and handed over once,
/// whole or as a stream, with no task or actor per request and a timer only when a timeout is asked for.
public final class OutboundHTTP: Sendable {
    public struct Settings: Sendable {
        /// How long making a connection may take.
        public var connectTimeout: Duration = .seconds(10)
        /// How long an unused connection stays open for the next request.
        public var idleTimeout: Duration = .seconds(60)
        /// Streams (event streams, slow calls) each hold a connection, so the pool allows many per host.
        public var connectionsPerHost = 256
        /// Host names whose connections go to a fixed address (the name still serves TLS and the Host header).
        public var pinnedAddresses: [String: String] = [:]

        public init() {}
    }

    private let settings: Settings
    /// Made on the first request, so a gateway that never sends one has no client to shut down.
    private let client = Mutex<HTTPClient?>(nil)

    public init(settings: Settings = .init()) {
        self.settings = settings
    }

    /// A component of its own whose every connection to `host` goes to `address`: a member's backend is reached at
    /// the public address checked when it was made, so no later lookup can steer it to an internal one.
    public func pinned(host: String, address: String) -> OutboundHTTP {
        var settings = settings
        settings.pinnedAddresses[host] = address
        return OutboundHTTP(settings: settings)
    }

    public func shutdown() async {
        let made = client.withLock { client in
            defer { client = nil }
            return client
        }
        try? await made?.shutdown()
    }

    /// Sends `request` and reads its answer whole, up to `limit` bytes, all within `timeout` (nil: as long as the
    /// caller waits; cancelling the task ends the request).
    public func send(
        _ request: OutboundRequest, limit: Int, timeout: Duration? = nil
    ) async throws(OutboundHTTPError) -> OutboundResponse {
        switch try await exchange(request, limit: limit, timeout: timeout, streams: { _ in false }) {
        case .whole(let response): return response
        case .stream: preconditionFailure("an answer read whole became a stream")
        }
    }

    /// Sends `request`; its answer is read whole (up to `limit` bytes) unless `streams` says from its head that it
    /// is to be read as it comes (an event stream). `timeout` bounds a whole answer, or a stream's head.
    public func exchange(
        _ request: OutboundRequest, limit: Int, timeout: Duration? = nil,
        streams: @escaping @Sendable (OutboundHead) -> Bool
    ) async throws(OutboundHTTPError) -> OutboundAnswer {
        let prepared: HTTPClient.Request
        do {
            prepared = try HTTPClient.Request(
                url: request.url, method: request.method, headers: request.headers,
                body: request.body.map { .byteBuffer($0) })
        } catch {
            throw .invalidRequest("\(error)")
        }
        let reader = AnswerReader(limit: limit, streams: streams)
        let http = shared
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    reader.start(continuation)
                    let task = http.execute(request: prepared, delegate: reader, eventLoop: .indifferent, deadline: nil)
                    reader.attach(task, timeout: timeout)
                }
            } onCancel: {
                reader.cancel()
            }
        } catch let error as OutboundHTTPError {
            throw error
        } catch {
            throw OutboundHTTPError(error)
        }
    }

    private var shared: HTTPClient {
        client.withLock { client in
            if let client { return client }
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration())
            client = made
            return made
        }
    }

    private func configuration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            // Redirects could lead anywhere, internal hosts included: every target is named where it is used.
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(settings.connectTimeout.nanoseconds)),
            connectionPool: .init(idleTimeout: .nanoseconds(settings.idleTimeout.nanoseconds)))
        configuration.httpVersion = .automatic
        // A refused connection fails the request at once; the callers' circuit breakers decide when to try again.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = settings.connectionsPerHost
        configuration.dnsOverride = settings.pinnedAddresses
        return configuration
    }
}
