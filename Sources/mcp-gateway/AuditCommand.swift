import ArgumentParser
import Foundation
import MCPCore
import MCPGateway
import OperatorPages
import Storage

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit trail of tool calls: who called what, how it went.",
        discussion: """
            Newest last. Arguments are shown as recorded: secret-looking values were redacted before they were stored. \
            With --follow, new calls are printed as a running server records them (it writes in batches, within a second \
            or two), until interrupted.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only this backend.") var backend: String?
    @Option(help: "Only this tool (its backend's own name, without the prefix).") var tool: String?
    @Option(help: "Only this OAuth client id.") var client: String?
    @Option(help: "Only calls since then: a duration back (30m, 1h, 7d) or a date (2026-11-29T10:00:00Z).") var since: String?
    @Option(help: "How many calls at most (before following).") var limit: Int = 50
    @Flag(help: "Print one JSON object per line.") var json = false
    @Flag(help: "Keep printing new calls as they are recorded.") var follow = false

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        if let since, Self.start(since, now: Date()) == nil {
            throw ValidationError("--since takes a duration back (30m, 1h, 7d) or an ISO 8601 date")
        }
    }

    func run() async throws {
        try await reporting {
            let database = try self.database.open()
            var query = AuditQuery(
                backend: backend, tool: tool, clientID: client, since: since.flatMap { Self.start($0, now: Date()) }, limit: limit
            )
            let recent = try await database.auditEvents(query).reversed()
            if recent.isEmpty && !follow && !json { print("No audit entries match.") }
            if !json && (!recent.isEmpty || follow) { emit(Self.header) }
            var lastID = recent.last?.id ?? 0
            for row in recent { emit(line(row)) }
            guard follow else { return }
            if lastID == 0 { lastID = try await database.auditEvents(AuditQuery(limit: 1)).first?.id ?? 0 }
            query.limit = 500
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                query.afterID = lastID
                for row in try await database.auditEvents(query) {
                    emit(line(row))
                    lastID = row.id
                }
            }
        }
    }

    static let header = OutputFormat.table(
        ["TIME", "WHO", "CLIENT", "BACKEND", "TOOL", "OUTCOME", "MS", "ARGUMENTS", "→ RESULT"], [])

    private func line(_ row: StoredAuditEvent) -> String {
        let event = row.event
        if json {
            var object: [String: JSONValue] = [
                "id": .int(row.id), "time": OutputFormat.json(event.time),
                "client_id": event.clientID.map(JSONValue.string) ?? .null, "backend": .string(event.backend),
                "tool": .string(event.tool), "outcome": .string(event.outcome.label),
                "duration_ms": .int(Int64(event.durationMilliseconds)),
                "arguments": (try? JSONValue.parse(Array(event.arguments.utf8))) ?? .string(event.arguments),
            ]
            if let detail = event.outcome.detail { object["detail"] = .string(detail) }
            if let result = event.result { object["result"] = .string(result) }
            if let status = event.upstreamStatus { object["upstream_status"] = .int(Int64(status)) }
            if let subject = event.subject { object["subject"] = .string(subject) }
            return String(decoding: JSONValue.object(object).serialized(), as: UTF8.self)
        }
        let outcome = event.outcome.detail.map { "failed: \($0)" } ?? event.outcome.label
        let arguments = event.arguments.count > 120 ? event.arguments.prefix(119) + "…" : Substring(event.arguments)
        return [
            OutputFormat.time(event.time), event.subject ?? "-", event.clientID ?? "-", event.backend, event.tool, outcome,
            String(event.durationMilliseconds), String(arguments), event.result.map { "→ \($0)" } ?? "",
        ].joined(separator: "  ")
    }

    /// Each line goes out at once, also into a pipe, so that `--follow | grep` sees calls as they happen.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func start(_ text: String, now: Date) -> Date? {
        if let seconds = DurationText.seconds(text) { return now.addingTimeInterval(-seconds) }
        return Timestamp.date(text)
    }
}
