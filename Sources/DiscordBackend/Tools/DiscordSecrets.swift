import MCPCore

/// Webhook tokens (and the URLs that contain them) never leave the backend: Discord hands them to the bot,
/// and whoever holds one can post as the webhook without any other credential.
enum DiscordSecrets {
    static func scrub(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            var kept: [String: JSONValue] = [:]
            for (key, field) in fields where key != "token" {
                if key == "url", let url = field.stringValue, url.contains("/webhooks/") { continue }
                kept[key] = scrub(field)
            }
            return .object(kept)
        case .array(let items):
            return .array(items.map(scrub))
        case .string(let text) where text.contains("/api/webhooks/") || text.contains("/api/v10/webhooks/"):
            return .string("[webhook URL hidden]")
        default:
            return value
        }
    }
}
