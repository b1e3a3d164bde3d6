import AsyncHTTPClient
import Foundation
import MCPCore
import NIOCore
import NIOHTTP1
import Synchronization

/// The gateway's one way out over HTTP: backends, Discord's API and client metadata documents all go through it, so
/// body limits, timeouts, redirects and the wording of failures are decided once.
///
/// Plain http goes over its own HTTP/1.1 connections on NIO (`PlainHTTPPool`), https through AsyncHTTPClient's
/// callback API. Either way the answer is read on the connection's event loop and handed over once, whole or as a
/// back-pressured stream, with no task or actor per request and a timer only when a timeout is asked for.
public final class OutboundHTTP: Sendable {
    public struct Settings: Sendable {
        /// How long making a connection may take.
        public var connectTimeout: Duration = .seconds(10)
        /// How long an unused connection stays open for the next request.
        public var idleTimeout: Duration = .seconds(60)
        /// Streams (event streams, slow calls) each hold a connection, so many are allowed per host: AsyncHTTPClient's
        /// pool (https) opens up to this many before it queues; the plain engine opens one per request in flight and
        /// keeps up to this many for the next requests.
        public var connectionsPerHost = 256
        /// Host names whose connections go to a fixed address (the name still serves TLS and the Host header).
        public var pinnedAddresses: [String: String] = [:]
        /// Sends plain http through AsyncHTTPClient too: for the tests that run every case through both engines.
        var plainHTTPThroughAsyncHTTPClient = false

        public init() {}
    }

    private let settings: Settings
    /// Plain http: our own lean HTTP/1.1 connections (the hot path to backends on the gateway's network).
    private let plain: PlainHTTPPool
    /// https: AsyncHTTPClient (TLS, HTTP/2), made on the first such request, so most gateways never make one.
    private let client = Mutex<HTTPClient?>(nil)
    /// Answers not yet released, for the tests.
    let liveAnswers = LiveCount()

    public init(settings: Settings = .init()) {
        self.settings = settings
        self.plain = PlainHTTPPool(
            connectTimeout: settings.connectTimeout, idleTimeout: settings.idleTimeout,
            keptPerAddress: settings.connectionsPerHost, pinnedAddresses: settings.pinnedAddresses)
    }

    /// A component of its own whose every connection to `host` goes to `address`: a member's backend is reached at
    /// the public address checked when it was made, so no later lookup can steer it to an internal one.
    public func pinned(host: String, address: String) -> OutboundHTTP {
        var settings = settings
        settings.pinnedAddresses[host] = address
        return OutboundHTTP(settings: settings)
    }

    public func shutdown() async {
        await plain.shutdown()
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
        let reader = AnswerReader(limit: limit, streams: streams, live: liveAnswers)
        let engine: Engine
        switch request.target.scheme {
        case "http" where !settings.plainHTTPThroughAsyncHTTPClient: engine = .plain(plain)
        case "http", "https": engine = .asyncHTTPClient(AsyncHTTPClientEngine(client: shared))
        case let scheme: throw .invalidRequest("the scheme \(scheme) is not supported (http or https)")
        }
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    reader.start(continuation)
                    switch engine {
                    case .plain(let pool): pool.start(request, reader: reader, timeout: timeout)
                    case .asyncHTTPClient(let client): client.start(request, reader: reader, timeout: timeout)
                    }
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

    private enum Engine {
        case plain(PlainHTTPPool)
        case asyncHTTPClient(AsyncHTTPClientEngine)
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
