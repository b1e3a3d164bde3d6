import Foundation
import OAuthServer

/// Signed-in operator sessions, in memory (a restart signs everyone out). The cookie holds a random id; only its
/// hash is kept here. A session ends after `idleTimeout` without a request, and at `absoluteTimeout` in any case.
actor AdminSessions {
    struct Session: Sendable {
        let csrfToken: String
        let createdAt: Date
        var lastSeen: Date
    }

    let idleTimeout: TimeInterval
    let absoluteTimeout: TimeInterval
    private let maximumSessions = 100
    private var sessions: [String: Session] = [:]

    init(idleTimeout: TimeInterval = 30 * 60, absoluteTimeout: TimeInterval = 12 * 3600) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
    }

    /// A new session: the id for the cookie and the session (with its CSRF token for the forms).
    func create(now: Date) -> (id: String, session: Session) {
        sessions = sessions.filter { isLive($0.value, now: now) }
        if sessions.count >= maximumSessions, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            sessions[oldest.key] = nil
        }
        let id = TokenCrypto.generateToken()
        let session = Session(csrfToken: TokenCrypto.generateToken(), createdAt: now, lastSeen: now)
        sessions[TokenCrypto.hash(id)] = session
        return (id, session)
    }

    /// The live session behind a cookie value, its idle clock restarted; nil when unknown or expired.
    func session(id: String, now: Date) -> Session? {
        let key = TokenCrypto.hash(id)
        guard var session = sessions[key] else { return nil }
        guard isLive(session, now: now) else {
            sessions[key] = nil
            return nil
        }
        session.lastSeen = now
        sessions[key] = session
        return session
    }

    func end(id: String) {
        sessions[TokenCrypto.hash(id)] = nil
    }

    private func isLive(_ session: Session, now: Date) -> Bool {
        now.timeIntervalSince(session.lastSeen) < idleTimeout && now.timeIntervalSince(session.createdAt) < absoluteTimeout
    }
}
