import Foundation
import Logging
import MCPCore
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// A backend on the 2024-11-05 HTTP+SSE transport: a GET event stream whose first `endpoint` event names the URL
/// to POST messages to; answers come back on the stream. All client requests share the one stream.
public actor LegacySSEBackend: Backend {
    let name: String
    let url: String
    let headers: [(String, String)]
    let http: OutboundHTTP
    let clientInfo: JSONValue
    let logger: Logger
    private var peer: ChannelPeer?
    private var reader: Task<Void, Never>?
    private var description: BackendDescription?
    /// The era learned on the first successful connection, kept across reconnections.
    private var knownEra: ProtocolEra?
    private var isShutDown = false
    private var notificationHandler: (@Sendable (BackendNotification) -> Void)?

    public init(
        name: String, url: String, headers: [String: String], http: OutboundHTTP, gatewayVersion: String, logger: Logger
    ) {
        self.name = name
        self.url = url
        self.headers = headers.sorted { $0.key < $1.key }
        self.http = http
        self.clientInfo = BackendNegotiation.clientInfo(version: gatewayVersion)
        var logger = logger
        logger[metadataKey: "backend"] = .string(name)
        self.logger = logger
    }

    public func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        guard !isShutDown else { throw BackendError.shutDown }
        notificationHandler = notifications
        if let peer, let description {
            await peer.setNotificationHandler(notifications)
            return description
        }
        disconnect()
        do {
            let description = try await ChannelNegotiation.connect(
                knownEra: knownEra, clientInfo: clientInfo, notifications: notifications,
                open: {
                    let peer = try await self.openStream()
                    await self.adopt(peer)
                    return peer
                },
                close: { await self.disconnect() })
            self.description = description
            knownEra = description.era
            return description
        } catch {
            disconnect()
            throw error
        }
    }

    public func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        guard !isShutDown else { throw BackendError.shutDown }
        guard let peer, let description else { throw BackendError.unreachable("the event stream is not open") }
        return try await ChannelNegotiation.send(
            request, era: description.era, clientInfo: clientInfo, peer: peer, observer: observer)
    }

    public func endSession(_ key: String) async {}

    public func shutdown() async {
        isShutDown = true
        disconnect()
    }

    private func adopt(_ peer: ChannelPeer) {
        self.peer = peer
    }

    private func disconnect() {
        reader?.cancel()
        reader = nil
        peer = nil
        description = nil
    }

    /// Opens the GET stream and waits (up to 10 s) for its `endpoint` event.
    private func openStream() async throws -> ChannelPeer {
        let stream = HTTPExchange(http: http, url: url, headers: headers)
        let answer: OutboundAnswer
        do {
            answer = try await http.exchange(
                try stream.request(.GET, extra: [("Accept", "text/event-stream")]), limit: HTTPExchange.errorBodyBytes,
                timeout: .seconds(10)
            ) { head in head.status == 200 }
        } catch OutboundHTTPError.timedOut {
            throw BackendError.timedOut(.seconds(10))
        } catch {
            throw HTTPExchange.transportError(error)
        }
        guard case .stream(_, let body) = answer else {
            let status = if case .whole(let response) = answer { response.status } else { 0 }
            throw BackendError.httpStatus(status, "the event stream could not be opened")
        }

        let (endpointStream, endpointContinuation) = AsyncStream<String>.makeStream()
        let poster = EndpointPoster(http: http, headers: headers)
        let peer = ChannelPeer(logger: logger) { message in try await poster.post(message) }
        let base = url
        let logger = self.logger
        reader = Task { [weak self] in
            var decoder = ServerSentEventDecoder(maximumLineLength: HTTPExchange.maximumBodyBytes)
            do {
                for try await chunk in body {
                    for event in try decoder.feed(chunk.readableBytesView) {
                        if event.event == "endpoint" {
                            endpointContinuation.yield(event.data)
                            endpointContinuation.finish()
                            continue
                        }
                        guard let value = try? JSONValue.parseMessage(event.data.utf8) else { continue }
                        await peer.receive(value)
                    }
                }
            } catch {
                logger.debug("legacy event stream failed: \(error)")
            }
            endpointContinuation.finish()
            await peer.close(.unreachable("the event stream closed"))
            await self?.streamEnded(peer)
        }

        let announced: String?
        do {
            announced = try await withTimeout(.seconds(10)) { [endpointStream] in
                var iterator = endpointStream.makeAsyncIterator()
                return await iterator.next()
            }
        } catch {
            reader?.cancel()
            throw BackendError.timedOut(.seconds(10))
        }
        guard let announced, let endpoint = Self.resolve(announced, against: base) else {
            reader?.cancel()
            throw BackendError.protocolViolation("the event stream did not name a same-origin endpoint to post to")
        }
        await poster.setEndpoint(endpoint)
        return peer
    }

    private func streamEnded(_ ended: ChannelPeer) {
        guard peer === ended else { return }
        peer = nil
        description = nil
        if !isShutDown { notificationHandler?(BackendNotification(method: BackendNotification.disconnected, params: nil)) }
    }

    /// The endpoint URL, if it is on the stream's own origin (the backend's credentials go nowhere else).
    static func resolve(_ endpoint: String, against base: String) -> String? {
        guard let baseURL = URL(string: base), let resolved = URL(string: endpoint, relativeTo: baseURL)?.absoluteURL,
            resolved.scheme?.lowercased() == baseURL.scheme?.lowercased(),
            resolved.host?.lowercased() == baseURL.host?.lowercased(),
            resolved.port == baseURL.port
        else { return nil }
        return resolved.absoluteString
    }
}

/// Posts messages to the endpoint a legacy stream announced; the answers arrive on the stream.
actor EndpointPoster {
    let http: OutboundHTTP
    let headers: [(String, String)]
    private var endpoint: HTTPExchange?

    init(http: OutboundHTTP, headers: [(String, String)]) {
        self.http = http
        self.headers = headers
    }

    func setEndpoint(_ endpoint: String) {
        self.endpoint = HTTPExchange(http: http, url: endpoint, headers: headers)
    }

    func post(_ message: JSONValue) async throws {
        guard let endpoint else { throw BackendError.unreachable("no endpoint yet") }
        let response: OutboundResponse
        do {
            let request = try endpoint.request(.POST, extra: [("Content-Type", "application/json")], body: message)
            response = try await http.send(request, limit: HTTPExchange.errorBodyBytes, timeout: .seconds(30))
        } catch {
            throw HTTPExchange.transportError(error)
        }
        guard response.head.isSuccess else {
            throw BackendError.httpStatus(response.status, "the message endpoint refused the message")
        }
    }
}
