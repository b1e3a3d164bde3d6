/// Discord's documented limits, checked before a request is sent, so a mistake costs no invalid request.
public enum DiscordLimits {
    public static let messageContentLength = 2000
    public static let auditLogReasonLength = 512
    public static let bulkDeleteRange = 2...100
    public static let bulkDeleteMaximumAge: Double = 14 * 24 * 3600
    public static let timeoutMaximumSeconds: Double = 28 * 24 * 3600

    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func checkSnowflake(_ value: String, field: String) throws(Violation) {
        guard DiscordSnowflake.isValid(value) else {
            throw Violation(description: "\(field) must be a Discord id (17 to 20 digits), not \"\(value.prefix(40))\"")
        }
    }

    public static func checkContent(_ content: String) throws(Violation) {
        guard content.count <= messageContentLength else {
            throw Violation(
                description: "message content is \(content.count) characters; Discord allows at most \(messageContentLength)")
        }
    }

    public static func checkLimit(_ limit: Int, range: ClosedRange<Int>, field: String = "limit") throws(Violation) {
        guard range.contains(limit) else {
            throw Violation(description: "\(field) must be from \(range.lowerBound) to \(range.upperBound), not \(limit)")
        }
    }

    /// Bulk delete takes 2 to 100 distinct messages, none older than 14 days.
    public static func checkBulkDelete(_ ids: [String], now: Double) throws(Violation) {
        guard bulkDeleteRange.contains(Set(ids).count), Set(ids).count == ids.count else {
            throw Violation(description: "bulk delete takes 2 to 100 different message ids, not \(ids.count)")
        }
        for id in ids {
            try checkSnowflake(id, field: "message id")
            if let created = DiscordSnowflake.creationTime(id), now - created > bulkDeleteMaximumAge {
                throw Violation(
                    description: "message \(id) is older than 14 days; Discord cannot bulk delete it (delete it alone)")
            }
        }
    }

    /// A timeout ends at most 28 days from now.
    public static func checkTimeout(seconds: Double) throws(Violation) {
        guard seconds > 0, seconds <= timeoutMaximumSeconds else {
            throw Violation(description: "a timeout lasts from 1 second to 28 days, not \(Int(seconds)) seconds")
        }
    }

    /// The `X-Audit-Log-Reason` header value: at most 512 characters, percent-encoded as Discord requires.
    public static func auditLogReasonHeader(_ reason: String) -> String {
        let clipped = String(reason.prefix(auditLogReasonLength))
        var encoded = ""
        for byte in clipped.utf8 {
            let isUnreserved =
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if isUnreserved {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
