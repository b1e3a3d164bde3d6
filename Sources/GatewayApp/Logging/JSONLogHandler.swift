import Foundation
import Logging
import MCPCore
import Synchronization

/// One JSON object per line: `time`, `level`, `label`, `message`, `source`, and the metadata as fields
/// (Hummingbird's `hb.request.id` becomes `request_id`). For log collectors that parse lines.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: JSONValue] = [:]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged { fields[Self.fieldName(key)] = Self.json(value) }
        fields["time"] = .string(Self.timestamp())
        fields["level"] = .string(event.level.rawValue)
        fields["label"] = .string(label)
        fields["message"] = .string(event.message.description)
        fields["source"] = .string(event.source)
        write(String(decoding: JSONValue.object(fields).serialized(), as: UTF8.self) + "\n")
    }

    static func fieldName(_ key: String) -> String {
        key == "hb.request.id" ? "request_id" : key
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary): .object(dictionary.mapValues(json))
        }
    }

    static func timestamp() -> String {
        Timestamp.stringWithFractionalSeconds(Date())
    }

    private static let standardErrorLock = Mutex(())

    /// Whole lines to standard error, never interleaved.
    public static let standardError: @Sendable (String) -> Void = { line in
        standardErrorLock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }
}

public enum GatewayLogging {
    /// Makes every logger of the process use `format` (`text` or `json`) at `level`, on standard error.
    public static func bootstrap(format: String, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == "json" ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
