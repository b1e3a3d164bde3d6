import MCPCore

/// Discord's error bodies (`code`, `message`, nested `errors`) as sentences a person can act on.
public enum DiscordErrorMessage {
    /// Codes worth a plainer explanation than Discord's own message.
    static let explanations: [Int64: String] = [
        10003: "the channel does not exist (or the bot cannot see it)",
        10004: "the server does not exist (or the bot is not in it)",
        10008: "the message does not exist",
        10011: "the role does not exist",
        10013: "the user does not exist",
        10007: "the member is not in this server",
        10015: "the webhook does not exist",
        10006: "the invite does not exist or has expired",
        50001: "the bot has no access to this",
        50013: "the bot lacks a permission",
        50034: "a message older than 14 days cannot be bulk deleted",
        50035: "Discord rejected the request's fields",
        30005: "the server has reached its maximum number of roles",
        30013: "the server has reached its maximum number of channels",
    ]

    /// One line: what failed, why, and Discord's code, e.g.
    /// "Discord refused to delete the channel: the bot lacks a permission (50013 Missing Permissions)".
    public static func describe(status: Int, body: JSONValue?, action: String) -> String {
        guard case .int(let code)? = body?["code"] else {
            return "Discord answered HTTP \(status) to \(action)"
        }
        let discordMessage = body?["message"]?.stringValue ?? ""
        var text = "Discord refused to \(action): "
        text += explanations[code] ?? discordMessage
        text += " (\(code)\(discordMessage.isEmpty ? "" : " \(discordMessage)"))"
        let fields = fieldErrors(body?["errors"], path: [])
        if !fields.isEmpty { text += "; " + fields.prefix(5).joined(separator: "; ") }
        return text
    }

    /// `{"content": {"_errors": [{"message": "…"}]}}` and deeper, as "content: …".
    static func fieldErrors(_ value: JSONValue?, path: [String]) -> [String] {
        guard case .object(let members)? = value else { return [] }
        var found: [String] = []
        if case .array(let errors)? = members["_errors"] {
            let name = path.isEmpty ? "request" : path.joined(separator: ".")
            for error in errors {
                found.append("\(name): \(error["message"]?.stringValue ?? "invalid")")
            }
        }
        for key in members.keys.sorted() where key != "_errors" {
            found += fieldErrors(members[key], path: path + [key])
        }
        return found
    }
}
