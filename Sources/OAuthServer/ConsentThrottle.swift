import Foundation

/// Slows down and then locks out password guessing on the consent page, per remote address.
public actor ConsentThrottle {
    public struct Policy: Sendable {
        public var failuresBeforeLockout = 5
        public var window: TimeInterval = 15 * 60
        public var firstLockout: TimeInterval = 60
        public var longestLockout: TimeInterval = 60 * 60
        /// Added to each wrong answer's response, growing with the failures so far.
        public var backoffStep: TimeInterval = 0.2
        public var longestBackoff: TimeInterval = 1
        public init() {}
    }

    public enum Verdict: Sendable, Equatable {
        /// Wrong password: answer after this delay.
        case slowDown(TimeInterval)
        /// Wrong password that started a lockout of this many seconds.
        case lockedOut(TimeInterval)
    }

    private struct Entry {
        var failures: [Date] = []
        var lockedUntil: Date?
        var lockouts = 0
    }

    private let policy: Policy
    private var entries: [String: Entry] = [:]
    private let maximumEntries = 10_000

    public init(policy: Policy = .init()) {
        self.policy = policy
    }

    /// Seconds until `key` may try again, or nil when it may try now.
    public func retryAfter(_ key: String, now: Date) -> TimeInterval? {
        guard let until = entries[key]?.lockedUntil, until > now else { return nil }
        return until.timeIntervalSince(now)
    }

    public func recordFailure(_ key: String, now: Date) -> Verdict {
        if entries[key] == nil, entries.count >= maximumEntries { prune(now: now) }
        var entry = entries[key] ?? Entry()
        entry.failures = entry.failures.filter { now.timeIntervalSince($0) < policy.window } + [now]
        let verdict: Verdict
        if entry.failures.count >= policy.failuresBeforeLockout {
            let length = min(policy.firstLockout * pow(2, Double(entry.lockouts)), policy.longestLockout)
            entry.lockouts += 1
            entry.lockedUntil = now.addingTimeInterval(length)
            entry.failures = []
            verdict = .lockedOut(length)
        } else {
            verdict = .slowDown(min(policy.backoffStep * Double(entry.failures.count), policy.longestBackoff))
        }
        entries[key] = entry
        return verdict
    }

    public func recordSuccess(_ key: String) {
        entries[key] = nil
    }

    private func prune(now: Date) {
        entries = entries.filter { _, entry in
            (entry.lockedUntil.map { $0 > now } ?? false)
                || entry.failures.contains { now.timeIntervalSince($0) < policy.window }
        }
    }
}
