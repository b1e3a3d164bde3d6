import Foundation
import OAuthServer

/// Signed-in sessions of the pages (`/admin`, `/me`), in memory (a restart signs everyone out). The cookie holds a
/// random id; only its hash is kept here. A session ends after `idleTimeout` without a request, and at
/// `absoluteTimeout` in any case. It is bound to what it was opened with: `/admin`'s to a fingerprint of the operator
/// password's hash, so a password change ends it.
public actor PageSessions {
    public struct Session: Sendable {
        public let csrfToken: String
        public let createdAt: Date
        public var lastSeen: Date
        public var passwordFingerprint: String
        /// Who signed in: `operator`, or a member's user id.
        public var subject: String
    }

    let idleTimeout: TimeInterval
    let absoluteTimeout: TimeInterval
    /// Past this many live sessions, the one idle longest ends: the operator's pages need few, a community's many.
    let maximumSessions: Int
    private var sessions: [String: Session] = [:]

    public init(idleTimeout: TimeInterval = 30 * 60, absoluteTimeout: TimeInterval = 12 * 3600, maximumSessions: Int = 100) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.maximumSessions = maximumSessions
    }

    /// A new session: the id for the cookie and the session (with its CSRF token for the forms).
    public func create(now: Date, passwordFingerprint: String, subject: String = "operator") -> (
        id: String, session: Session
    ) {
        sessions = sessions.filter { isLive($0.value, now: now) }
        if sessions.count >= maximumSessions, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            sessions[oldest.key] = nil
        }
        let id = TokenCrypto.generateToken()
        let session = Session(
            csrfToken: TokenCrypto.generateToken(), createdAt: now, lastSeen: now, passwordFingerprint: passwordFingerprint,
            subject: subject)
        sessions[TokenCrypto.hash(id)] = session
        return (id, session)
    }

    /// The live session behind a cookie value, its idle clock restarted; nil when unknown, expired, or opened with
    /// another password than the current one.
    public func session(id: String, now: Date, passwordFingerprint: String) -> Session? {
        let key = TokenCrypto.hash(id)
        guard var session = sessions[key] else { return nil }
        guard isLive(session, now: now), session.passwordFingerprint == passwordFingerprint else {
            sessions[key] = nil
            return nil
        }
        session.lastSeen = now
        sessions[key] = session
        return session
    }

    /// After a password change made in this session: it stays signed in, under the new password.
    public func rebind(id: String, passwordFingerprint: String) {
        sessions[TokenCrypto.hash(id)]?.passwordFingerprint = passwordFingerprint
    }

    /// A short stand-in for a password hash, so sessions need not hold the hash itself.
    public static func fingerprint(ofPasswordHash hash: String) -> String {
        TokenCrypto.hash(hash)
    }

    public func end(id: String) {
        sessions[TokenCrypto.hash(id)] = nil
    }

    private func isLive(_ session: Session, now: Date) -> Bool {
        now.timeIntervalSince(session.lastSeen) < idleTimeout && now.timeIntervalSince(session.createdAt) < absoluteTimeout
    }
}
