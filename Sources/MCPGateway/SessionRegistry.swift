import Foundation
import MCPCore

/// Handshake-era sessions (`Mcp-Session-Id`): who owns each, which version it negotiated, its open GET streams.
public actor SessionRegistry {
    public struct Session: Sendable {
        public let id: String
        public let principal: String?
        public let protocolVersion: String
        public var lastSeen: Date
        var streams: [UUID: AsyncStream<String>.Continuation] = [:]
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

    public func open(principal: String?, protocolVersion: String, now: Date = Date()) -> Session {
        if sessions.count >= maximumSessions { expireIdle(now: now) }
        if sessions.count >= maximumSessions, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
            close(oldest.id)
        }
        let id = Self.newID()
        let session = Session(id: id, principal: principal, protocolVersion: protocolVersion, lastSeen: now)
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
    }

    /// 128 random bits as hex: visible ASCII, as the transport requires.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }
}

extension SessionRegistry {
    /// Queues a frame on one open stream of a session.
    public func send(_ frame: String, session id: String, stream streamID: UUID) {
        sessions[id]?.streams[streamID]?.yield(frame)
    }
}
