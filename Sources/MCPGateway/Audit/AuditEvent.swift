import Foundation
import MCPCore

/// One `tools/call`, as the audit trail keeps it.
public struct AuditEvent: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case ok
        /// The tool ran and reported an error (`isError`).
        case toolError
        /// The backend could not be asked, failed, or the call was cancelled.
        case failed(String)

        public var label: String {
            switch self {
            case .ok: "ok"
            case .toolError: "tool_error"
            case .failed: "failed"
            }
        }

        public var detail: String? {
            if case .failed(let reason) = self { return reason }
            return nil
        }
    }

    public var time: Date
    public var clientID: String?
    public var backend: String
    public var tool: String
    public var durationMilliseconds: Int
    public var outcome: Outcome
    /// The arguments as JSON text, secrets redacted and size capped.
    public var arguments: String

    public init(
        time: Date, clientID: String?, backend: String, tool: String, durationMilliseconds: Int, outcome: Outcome,
        arguments: String
    ) {
        self.time = time
        self.clientID = clientID
        self.backend = backend
        self.tool = tool
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.arguments = arguments
    }

    init(
        call: ClientCall, backend: String, tool: String, started: ContinuousClock.Instant, outcome: Outcome, arguments: JSONValue?
    ) {
        let elapsed = ContinuousClock.now - started
        self.init(
            time: Date(), clientID: call.clientID, backend: backend, tool: tool,
            durationMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
            outcome: outcome, arguments: ArgumentRedaction.redacted(arguments ?? [:]))
    }
}

/// Where audit events are kept; declared here, implemented by the storage module.
public protocol AuditSink: Sendable {
    func append(_ events: [AuditEvent]) async throws
}

/// Arguments as they go into the audit trail: values under secret-looking keys replaced, the whole capped.
public enum ArgumentRedaction {
    static let secretKeyFragments = [
        "password", "passwd", "secret", "token", "apikey", "api_key", "authorization", "credential", "cookie", "private_key",
    ]
    static let maximumLength = 4096
    static let redactedMarker: JSONValue = "[redacted]"

    public static func redacted(_ arguments: JSONValue) -> String {
        let text = redact(arguments).serializedString
        guard text.utf8.count > maximumLength else { return text }
        return String(decoding: Array(text.utf8.prefix(maximumLength)), as: UTF8.self) + "…[truncated]"
    }

    static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                let normalized = key.lowercased().replacingOccurrences(of: "-", with: "_")
                result[key] = secretKeyFragments.contains { normalized.contains($0) } ? redactedMarker : redact(member)
            }
            return .object(result)
        case .array(let items):
            return .array(items.map(redact))
        default:
            return value
        }
    }
}
