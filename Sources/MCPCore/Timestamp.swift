import Foundation

/// ISO 8601 times in UTC, the one way the gateway writes them (`/status`, the command line's JSON, logs, Discord's
/// fields) and reads them. `Date.ISO8601FormatStyle` is a value: no formatter is made or locked per call.
public enum Timestamp {
    /// `2026-12-06T22:27:25Z`
    public static func string(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// `2026-12-06T22:27:25.123Z`, for log lines.
    public static func stringWithFractionalSeconds(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A time with a zone, with or without fractional seconds; nil when the text is not one.
    public static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
