import Foundation
import GRDB
import MCPGateway

extension GatewayDatabase: AuditSink {
    /// Appends a batch in one transaction: all of it is kept or none.
    public func append(_ events: [AuditEvent]) async throws {
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO audit_events
                        (time, client_id, backend, tool, duration_ms, outcome, detail, arguments, result, upstream_status,
                         subject)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for event in events {
                try statement.execute(arguments: [
                    event.time.timeIntervalSince1970, event.clientID, event.backend, event.tool, event.durationMilliseconds,
                    event.outcome.label, event.outcome.detail, event.arguments, event.result, event.upstreamStatus,
                    event.subject,
                ])
            }
        }
    }

    static func auditEvent(from row: Row) -> AuditEvent {
        let label: String = row["outcome"]
        let outcome: AuditEvent.Outcome =
            switch label {
            case "ok": .ok
            case "tool_error": .toolError
            default: .failed(row["detail"] ?? "")
            }
        return AuditEvent(
            time: Date(timeIntervalSince1970: row["time"]), clientID: row["client_id"], backend: row["backend"],
            tool: row["tool"], durationMilliseconds: row["duration_ms"], outcome: outcome, arguments: row["arguments"],
            result: row["result"], upstreamStatus: row["upstream_status"], subject: row["subject"])
    }
}
