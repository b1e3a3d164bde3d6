import Foundation
import MCPCore

/// Handshake-era sessions (`Mcp-Session-Id`): who owns each, which version it negotiated, its open GET streams.
public actor SessionRegistry {
    public struct Session: Sendable {
        public let id: String
        public let principal: String?
        public let protocolVersion: String
        /// What the client declared at `initialize`.
        public let clientCapabilities: JSONValue
        public var lastSeen: Date
        var streams: [UUID: AsyncStream<String>.Continuation] = [:]
        /// Requests sent to the client (elicitation, sampling, roots) that wait for its answer.
        var awaitingAnswers: [String: CheckedContinuation<Result<JSONValue, JSONRPC.Failure>, Never>] = [:]
        /// Requests in progress, by the client's request id, so `notifications/cancelled` can stop them.
        var calls: [JSONValue: Task<Result<JSONValue, JSONRPC.Failure>, Never>] = [:]
    }

    public enum Lookup: Sendable {
        case found(Session)
        /// Unknown, ended, expired, or owned by someone else: all look the same to the caller.
        case notFound
    }

    private var sessions: [String: Session] = [:]
    private let idleTimeout: TimeInterval
    private let maximumSessions: Int
    private let maximumStreamsPerSession = 4

    public init(idleTimeout: TimeInterval = 3600, maximumSessions: Int = 10_000) {
        self.idleTimeout = idleTimeout
        self.maximumSessions = maximumSessions
    }

    public func open(principal: String?, protocolVersion: String, clientCapabilities: JSONValue = [:], now: Date = Date())
        -> Session
    {
        if sessions.count >= maximumSessions { expireIdle(now: now) }
        if sessions.count >= maximumSessions, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
            close(oldest.id)
        }
        let id = Self.newID()
        let session = Session(
            id: id, principal: principal, protocolVersion: protocolVersion, clientCapabilities: clientCapabilities, lastSeen: now)
        sessions[id] = session
        return session
    }

    public func lookUp(_ id: String, principal: String?, now: Date = Date()) -> Lookup {
        guard var session = sessions[id], session.principal == principal else { return .notFound }
        if now.timeIntervalSince(session.lastSeen) > idleTimeout {
            close(id)
            return .notFound
        }
        session.lastSeen = now
        sessions[id] = session
        return .found(session)
    }

    /// Ends a session and every stream it has open; returns whether it existed for this principal.
    @discardableResult
    public func end(_ id: String, principal: String?) -> Bool {
        guard let session = sessions[id], session.principal == principal else { return false }
        close(session.id)
        return true
    }

    /// Opens a server-to-client stream on the session; nil when the session is gone or has too many.
    public func openStream(session id: String) -> (UUID, AsyncStream<String>, AsyncStream<String>.Continuation)? {
        guard var session = sessions[id], session.streams.count < maximumStreamsPerSession else { return nil }
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let streamID = UUID()
        session.streams[streamID] = continuation
        sessions[id] = session
        return (streamID, stream, continuation)
    }

    public func closeStream(session id: String, stream streamID: UUID) {
        sessions[id]?.streams.removeValue(forKey: streamID)?.finish()
    }

    public func expireIdle(now: Date = Date()) {
        for session in sessions.values where now.timeIntervalSince(session.lastSeen) > idleTimeout {
            close(session.id)
        }
    }

    /// Ends every session and stream: on shutdown, so no open stream holds the server up.
    public func closeAll() {
        for id in Array(sessions.keys) { close(id) }
    }

    private func close(_ id: String) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        for continuation in session.streams.values { continuation.finish() }
        for call in session.calls.values { call.cancel() }
        for continuation in session.awaitingAnswers.values {
            continuation.resume(returning: .failure(.init(code: JSONRPC.internalError, message: "The client session ended")))
        }
        onEnd?(id)
    }

    private var onEnd: (@Sendable (String) -> Void)?

    /// Called with the id of every session that ends (DELETE, expiry, shutdown).
    public func onSessionEnd(_ handler: @escaping @Sendable (String) -> Void) {
        onEnd = handler
    }

    /// 128 random bits as hex: visible ASCII, as the transport requires.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }
}

extension SessionRegistry {
    /// Sends a request to the client (via `send`, once its answer can be received) and waits for the answer.
    func ask(session id: String, requestID: String, send: @Sendable () -> Void) async -> Result<JSONValue, JSONRPC.Failure> {
        await withCheckedContinuation { continuation in
            guard sessions[id] != nil else {
                continuation.resume(returning: .failure(.init(code: JSONRPC.internalError, message: "The client session ended")))
                return
            }
            sessions[id]?.awaitingAnswers[requestID] = continuation
            send()
        }
    }

    /// Runs a client request so that the client's `notifications/cancelled` for `requestID` can cancel it.
    func trackCall(
        session id: String, requestID: JSONValue, _ work: @escaping @Sendable () async -> Result<JSONValue, JSONRPC.Failure>
    ) async -> Result<JSONValue, JSONRPC.Failure> {
        let task = Task { await work() }
        sessions[id]?.calls[requestID] = task
        let result = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        sessions[id]?.calls[requestID] = nil
        return result
    }

    func cancelCall(session id: String, requestID: JSONValue) {
        sessions[id]?.calls.removeValue(forKey: requestID)?.cancel()
    }

    /// Stops waiting (the call was cancelled or timed out).
    func abandonAnswer(session id: String, requestID: String) {
        sessions[id]?.awaitingAnswers.removeValue(forKey: requestID)?.resume(
            returning: .failure(.init(code: JSONRPC.internalError, message: "The request was cancelled")))
    }

    /// Delivers a response the client POSTed; false when nothing waits for it.
    func deliverAnswer(session id: String, response: JSONValue) -> Bool {
        guard let requestID = response["id"]?.stringValue,
            let continuation = sessions[id]?.awaitingAnswers.removeValue(forKey: requestID)
        else { return false }
        if let result = response["result"] {
            continuation.resume(returning: .success(result))
        } else {
            let error = response["error"]
            let code = error?["code"].flatMap { if case .int(let code) = $0 { Int(code) } else { nil } } ?? JSONRPC.internalError
            continuation.resume(
                returning: .failure(
                    .init(code: code, message: error?["message"]?.stringValue ?? "The client refused", data: error?["data"])))
        }
        return true
    }

    /// Queues a frame on one open stream of a session.
    public func send(_ frame: String, session id: String, stream streamID: UUID) {
        sessions[id]?.streams[streamID]?.yield(frame)
    }
}
