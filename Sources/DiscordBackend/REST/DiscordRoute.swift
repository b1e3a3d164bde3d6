/// A Discord REST route: method and path, and the key Discord's rate limits are kept under.
///
/// Discord shares a limit between requests of one route that differ only in minor parameters, and
/// separates them by the "top-level resource" (channel, guild, or webhook with its token).
public struct DiscordRoute: Sendable, Hashable {
    public let method: String
    /// The concrete path, e.g. `/channels/123/messages/456`.
    public let path: String

    public init(_ method: String, _ path: String) {
        self.method = method
        self.path = path
    }

    /// Method and path with every id replaced: Discord names one bucket per template, and keeps its state
    /// apart for each top-level resource (`majorParameter`).
    public var template: String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var parts: [String] = []
        for (index, segment) in segments.enumerated() {
            let previous = index > 0 ? String(segments[index - 1]) : ""
            if DiscordSnowflake.isValid(String(segment)) {
                parts.append(":id")
            } else if previous.isEmpty == false, segments.count > 2, index == 3, String(segments[1]) == "webhooks" {
                // A webhook's token belongs to the major parameter, not to the template.
                parts.append(":token")
            } else if previous == "reactions" {
                // Emoji in a reaction route are minor too.
                parts.append(":emoji")
            } else {
                parts.append(String(segment))
            }
        }
        return "\(method) \(parts.joined(separator: "/"))"
    }

    /// The top-level resource: `channels/123`, `guilds/123`, `webhooks/123/<token>`, or "" for none.
    public var majorParameter: String {
        let segments = path.split(separator: "/").map(String.init)
        guard let first = segments.first, Self.majorParents.contains(first), segments.count > 1 else { return "" }
        if first == "webhooks", segments.count > 2 { return "webhooks/\(segments[1])/\(segments[2])" }
        return "\(first)/\(segments[1])"
    }

    /// A webhook token in the path (`/webhooks/<id>/<token>`), which must never be shown.
    public var secretSegment: String? {
        let segments = path.split(separator: "/").map(String.init)
        guard segments.count > 2, segments[0] == "webhooks" else { return nil }
        return segments[2]
    }

    static let majorParents: Set<String> = ["channels", "guilds", "webhooks"]
}

/// Discord ids: decimal snowflakes, which also carry their creation time.
public enum DiscordSnowflake {
    /// Milliseconds from the Unix epoch to Discord's (2015-01-01).
    static let discordEpochMilliseconds: UInt64 = 1_420_070_400_000

    public static func isValid(_ text: String) -> Bool {
        (17...20).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && UInt64(text) != nil
    }

    /// When the object with this id was created, as seconds since 1970.
    public static func creationTime(_ id: String) -> Double? {
        guard isValid(id), let value = UInt64(id) else { return nil }
        return Double((value >> 22) + discordEpochMilliseconds) / 1000
    }
}
