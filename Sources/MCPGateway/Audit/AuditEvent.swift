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
    /// The first line of the tool's text answer, capped: what happened, in the tool's words.
    public var result: String?
    /// The HTTP status of the upstream request a built-in backend made (Discord's answer), when it says.
    public var upstreamStatus: Int?
    /// Whose call or change it was: `operator`, or a member's user id.
    public var subject: String?

    public init(
        time: Date, clientID: String?, backend: String, tool: String, durationMilliseconds: Int, outcome: Outcome,
        arguments: String, result: String? = nil, upstreamStatus: Int? = nil, subject: String? = nil
    ) {
        self.subject = subject
        self.result = result
        self.upstreamStatus = upstreamStatus
        self.time = time
        self.clientID = clientID
        self.backend = backend
        self.tool = tool
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.arguments = arguments
    }

    /// An event whose arguments are redacted and written out later, off the request path (`arguments` stays empty
    /// until then; the recorder fills it in).
    init(
        call: ClientCall, backend: String, tool: String, started: ContinuousClock.Instant, outcome: Outcome,
        toolResult: JSONValue? = nil
    ) {
        let elapsed = ContinuousClock.now - started
        self.init(
            time: Date(), clientID: call.clientID, backend: backend, tool: tool,
            durationMilliseconds: Int(elapsed.milliseconds),
            outcome: outcome, arguments: "", result: toolResult.flatMap(Self.summary),
            upstreamStatus: toolResult?["_meta"]?[MCPProtocol.MetaKey.upstreamStatus].flatMap {
                if case .int(let status) = $0 { Int(status) } else { nil }
            }, subject: call.subject)
    }

    static let summaryLength = 300

    /// The first line of a tool result's first text block.
    static func summary(_ result: JSONValue) -> String? {
        guard let text = result["content"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "text" })?["text"]?.stringValue
        else { return nil }
        let line = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return line.count > summaryLength ? String(line.prefix(summaryLength)) + "…" : line
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
        if case .raw(let raw) = arguments { return redacted(compactBytes: raw.bytes) }
        let text = redact(arguments).serializedString
        guard text.utf8.count > maximumLength else { return text }
        return String(decoding: Array(text.utf8.prefix(maximumLength)), as: UTF8.self) + "…[truncated]"
    }

    static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                result[key] = isSecretKey(key) ? redactedMarker : redact(member)
            }
            return .object(result)
        case .array(let items):
            return .array(items.map(redact))
        case .raw(let raw):
            return redact(raw.value)
        default:
            return value
        }
    }

    /// Case-insensitive, with `-` read as `_`; on bytes, since this runs for every key of every call.
    static func isSecretKey(_ key: String) -> Bool { isSecretKey(utf8: key.utf8) }

    static func isSecretKey(utf8 key: some Collection<UInt8>) -> Bool {
        let normalized = key.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
            case UInt8(ascii: "-"): UInt8(ascii: "_")
            default: byte
            }
        }
        return secretKeyFragmentBytes.contains { fragment in
            guard normalized.count >= fragment.count else { return false }
            return (0...(normalized.count - fragment.count)).contains { start in
                normalized[start..<start + fragment.count].elementsEqual(fragment)
            }
        }
    }

    static let secretKeyFragmentBytes = secretKeyFragments.map { Array($0.utf8) }
}
