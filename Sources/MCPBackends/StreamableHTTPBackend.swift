import Foundation
import Logging
import MCPCore
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// A backend reached over Streamable HTTP, in whichever era it speaks: `server/discover` is tried first,
/// `initialize` is the fallback, and the answer is remembered until the backend fails.
public actor StreamableHTTPBackend: Backend {
    struct HandshakeSession: Sendable {
        var id: String?
        var version: String
    }

    let name: String
    let exchange: HTTPExchange
    let clientInfo: JSONValue
    let logger: Logger
    private var era: ProtocolEra?
    private var capabilities: JSONValue = [:]
    /// Handshake-era sessions by client session key ("" is the one shared by stateless clients).
    private var sessions: [String: Task<HandshakeSession, any Error>] = [:]
    var notificationHandler: (@Sendable (BackendNotification) -> Void)?
    var listener: Task<Void, Never>?
    private var nextID: Int64 = 0
    private var isShutDown = false
    static let maximumSessions = 1000

    /// `credential`: for an OAuth-protected backend, the token of the one person this connection serves.
    public init(
        name: String, url: String, headers: [String: String], http: OutboundHTTP, gatewayVersion: String, logger: Logger,
        credential: (any BackendCredential)? = nil
    ) {
        self.name = name
        self.exchange = HTTPExchange(
            http: http, url: url, headers: headers.sorted { $0.key < $1.key }, credential: credential)
        self.clientInfo = BackendNegotiation.clientInfo(version: gatewayVersion)
        var logger = logger
        logger[metadataKey: "backend"] = .string(name)
        self.logger = logger
    }

    func newID() -> JSONValue {
        nextID += 1
        return .int(nextID)
    }

    // MARK: connecting

    public func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        guard !isShutDown else { throw BackendError.shutDown }
        notificationHandler = notifications
        era = nil
        for task in sessions.values { task.cancel() }
        sessions = [:]
        listener?.cancel()
        listener = nil

        let description: BackendDescription
        if let modern = try await discover() {
            description = modern
        } else {
            let (session, result) = try await initialize(capabilities: BackendNegotiation.relayedCapabilities)
            description = try BackendNegotiation.description(fromInitialize: result)
            sessions[""] = Task { session }
        }
        era = description.era
        capabilities = description.capabilities
        startListening(description)
        return description
    }

    /// `server/discover`; nil when the backend does not speak the modern era (any error that is not a transport failure).
    private func discover() async throws -> BackendDescription? {
        let message = JSONRPC.request(
            id: newID(), method: "server/discover",
            params: BackendNegotiation.modernParams(
                [:], version: MCPProtocol.latestModernVersion, clientCapabilities: BackendNegotiation.relayedCapabilities,
                clientInfo: clientInfo))
        do {
            let (outcome, _) = try await exchange.post(
                message,
                extraHeaders: modernHeaders(method: "server/discover", params: [:], version: MCPProtocol.latestModernVersion),
                sessionID: nil, expectsResponse: true, interim: { _, _ in nil }, postBack: { _ in })
            guard case .response(let response) = outcome, let result = response["result"] else { return nil }
            return BackendNegotiation.description(fromDiscover: result)
        } catch BackendError.httpStatus(let status, _) where (400..<500).contains(status) {
            return nil
        } catch BackendError.protocolViolation {
            return nil
        }
    }

    private func initialize(capabilities: JSONValue) async throws -> (HandshakeSession, JSONValue) {
        let message = JSONRPC.request(
            id: newID(), method: "initialize",
            params: BackendNegotiation.initializeParams(capabilities: capabilities, clientInfo: clientInfo))
        let (outcome, headers) = try await exchange.post(
            message, extraHeaders: [], sessionID: nil, expectsResponse: true, interim: { _, _ in nil }, postBack: { _ in })
        guard case .response(let response) = outcome else {
            throw BackendError.protocolViolation("initialize was not answered")
        }
        if let error = response["error"] {
            throw BackendError.protocolViolation("initialize failed: \(error["message"]?.stringValue ?? "unknown error")")
        }
        guard let result = response["result"] else { throw BackendError.protocolViolation("initialize was not answered") }
        let description = try BackendNegotiation.description(fromInitialize: result)
        let session = HandshakeSession(id: headers.first(name: MCPProtocol.Header.sessionID), version: description.era.version)
        _ = try await exchange.post(
            JSONRPC.notification(method: "notifications/initialized", params: nil),
            extraHeaders: [(MCPProtocol.Header.protocolVersion, session.version)], sessionID: session.id,
            expectsResponse: false, interim: { _, _ in nil }, postBack: { _ in })
        return (session, result)
    }

    /// The handshake session for a client session, opened on first use.
    func session(for key: String) async throws -> HandshakeSession {
        if let task = sessions[key] { return try await task.value }
        if sessions.count >= Self.maximumSessions, let victim = sessions.keys.first(where: { !$0.isEmpty }) {
            await endSession(victim)
        }
        let task = Task { try await self.initialize(capabilities: BackendNegotiation.relayedCapabilities).0 }
        sessions[key] = task
        do {
            return try await task.value
        } catch {
            sessions[key] = nil
            throw error
        }
    }

    // MARK: requests

    public func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        guard !isShutDown else { throw BackendError.shutDown }
        guard let era else { throw BackendError.unreachable("not connected") }
        return try await request.withinTimeout {
            switch era {
            case .modern(let version): try await self.sendModern(request, version: version, observer: observer)
            case .handshake: try await self.sendHandshake(request, observer: observer)
            }
        }
    }

    private func sendModern(_ request: BackendRequest, version: String, observer: any BackendRequestObserver) async throws
        -> Result<JSONValue, JSONRPC.Failure>
    {
        let params = BackendNegotiation.modernParams(
            request.params, version: version, clientCapabilities: request.clientCapabilities, clientInfo: clientInfo)
        let id = newID()
        var headers = modernHeaders(method: request.method, params: request.params, version: version)
        headers += request.parameterHeaders.map { ("\(MCPProtocol.Header.paramPrefix)\($0.key)", $0.value) }
        let (outcome, _) = try await exchange.post(
            JSONRPC.request(id: id, method: request.method, params: params), extraHeaders: headers, sessionID: nil,
            expectsResponse: true, interim: { message, _ in await Self.relay(message, observer: observer) }, postBack: { _ in })
        return try Self.answer(outcome)
    }

    private func sendHandshake(_ request: BackendRequest, observer: any BackendRequestObserver) async throws
        -> Result<JSONValue, JSONRPC.Failure>
    {
        let key = request.sessionKey ?? ""
        for attempt in 0..<2 {
            let session = try await session(for: key)
            let id = newID()
            let exchange = self.exchange
            let postBack: @Sendable (JSONValue) async throws -> Void = { reply in
                _ = try await exchange.post(
                    reply, extraHeaders: [(MCPProtocol.Header.protocolVersion, session.version)], sessionID: session.id,
                    expectsResponse: false, interim: { _, _ in nil }, postBack: { _ in })
            }
            let outcome: HTTPExchange.Outcome
            do {
                (outcome, _) = try await withTaskCancellationHandler {
                    try await exchange.post(
                        JSONRPC.request(id: id, method: request.method, params: request.params),
                        extraHeaders: [(MCPProtocol.Header.protocolVersion, session.version)], sessionID: session.id,
                        expectsResponse: true, interim: { message, _ in await Self.relay(message, observer: observer) },
                        postBack: postBack)
                } onCancel: {
                    // Aborting the POST is not enough for a handshake-era server: it must be told to stop the work.
                    Task {
                        try? await postBack(
                            JSONRPC.notification(
                                method: "notifications/cancelled",
                                params: ["requestId": id, "reason": "The client cancelled the request"]))
                    }
                }
            }
            if case .sessionNotFound = outcome, attempt == 0 {
                logger.info("backend session expired; initializing again")
                sessions[key] = nil
                continue
            }
            return try Self.answer(outcome)
        }
        throw BackendError.protocolViolation("the backend does not keep its sessions")
    }

    private static func answer(_ outcome: HTTPExchange.Outcome) throws -> Result<JSONValue, JSONRPC.Failure> {
        guard case .response(let response) = outcome else {
            throw BackendError.protocolViolation("the request was not answered")
        }
        if let result = response["result"] { return .success(result) }
        if let error = response["error"] {
            return .failure(
                .init(
                    code: Int(
                        error["code"].flatMap { if case .int(let code) = $0 { code } else { nil } }
                            ?? Int64(JSONRPC.internalError)),
                    message: error["message"]?.stringValue ?? "Backend error", data: error["data"]))
        }
        throw BackendError.protocolViolation("the response has neither result nor error")
    }

    /// Passes a notification or server request from a response stream to the observer; returns the reply to post back.
    static func relay(_ message: JSONRPC.Message, observer: any BackendRequestObserver) async -> JSONValue? {
        switch message {
        case .notification(let method, let params):
            await observer.notification(BackendNotification(method: method, params: params))
            return nil
        case .request(let id, "ping", _):
            return JSONRPC.result(id: id, [:])
        case .request(let id, let method, let params):
            switch await observer.serverRequest(method: method, params: params) {
            case .success(let result): return JSONRPC.result(id: id, result)
            case .failure(var failure):
                failure.id = id
                return JSONRPC.error(failure)
            }
        case .response:
            return nil
        }
    }

    private func modernHeaders(method: String, params: JSONValue, version: String) -> [(String, String)] {
        var headers = [(MCPProtocol.Header.protocolVersion, version), (MCPProtocol.Header.method, method)]
        if let parameter = MCPProtocol.nameParameter(of: method), let value = params[parameter]?.stringValue {
            headers.append((MCPProtocol.Header.name, MCPProtocol.encodeHeaderValue(value)))
        }
        return headers
    }

    // MARK: ending

    public func endSession(_ key: String) async {
        guard !key.isEmpty, let task = sessions.removeValue(forKey: key), let session = try? await task.value else { return }
        await delete(session)
    }

    public func shutdown() async {
        isShutDown = true
        listener?.cancel()
        let open = sessions.values
        sessions = [:]
        for task in open {
            if let session = try? await task.value { await delete(session) }
        }
    }

    private func delete(_ session: HandshakeSession) async {
        guard let id = session.id else { return }
        guard
            let request = try? await exchange.authorized(
                .DELETE, extra: [(MCPProtocol.Header.sessionID, id), (MCPProtocol.Header.protocolVersion, session.version)]
            ).0
        else { return }
        _ = try? await exchange.http.send(request, limit: HTTPExchange.errorBodyBytes, timeout: .seconds(5))
    }
}
