import Foundation

/// Audit events in memory: for tests, and the reference the store conformance suite holds every engine to.
public actor InMemoryAuditSink: AuditSink {
    /// Every event appended, oldest first.
    public private(set) var events: [AuditEvent] = []

    public init() {}

    public func append(_ events: [AuditEvent]) {
        self.events += events
    }
}
