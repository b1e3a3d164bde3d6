import MCPCore

/// Discord objects as lines a person can read.
enum DiscordFormat {
    static func int(_ value: JSONValue?) -> Int64? {
        switch value {
        case .int(let number)?: number
        case .double(let number)?: Int64(number)
        case .string(let text)?: Int64(text)
        default: nil
        }
    }

    static let channelTypes: [Int64: String] = [
        0: "text", 1: "direct message", 2: "voice", 3: "group DM", 4: "category", 5: "announcement",
        10: "announcement thread", 11: "thread", 12: "private thread", 13: "stage", 14: "directory", 15: "forum",
        16: "media",
    ]

    static let channelTypeNumbers: [String: Int64] = [
        "text": 0, "voice": 2, "category": 4, "announcement": 5, "stage": 13, "forum": 15,
    ]

    static func channelType(_ channel: JSONValue) -> String {
        channelTypes[int(channel["type"]) ?? -1] ?? "channel"
    }

    /// "#general (text, 1234…): topic"
    static func channel(_ channel: JSONValue) -> String {
        let id = channel["id"]?.stringValue ?? "?"
        let name = channel["name"]?.stringValue ?? id
        let prefix = int(channel["type"]) == 4 ? "" : "#"
        var line = "\(prefix)\(name) (\(channelType(channel)), id \(id))"
        if let topic = channel["topic"]?.stringValue, !topic.isEmpty { line += ": \(topic.prefix(120))" }
        if channel["thread_metadata"]?["archived"]?.boolValue == true { line += " [archived]" }
        return line
    }

    static func userName(_ user: JSONValue?) -> String {
        user?["global_name"]?.stringValue ?? user?["username"]?.stringValue ?? user?["id"]?.stringValue ?? "someone"
    }

    /// The name a member goes by here: nickname, else display name, else username.
    static func memberName(_ member: JSONValue) -> String {
        member["nick"]?.stringValue ?? userName(member["user"])
    }

    static func memberNames(_ member: JSONValue) -> [String] {
        [member["nick"], member["user"]?["global_name"], member["user"]?["username"]].compactMap { $0??.stringValue }
    }

    /// "Luis (@luis, 1234…), roles: Moderator, timed out until …"
    static func member(_ member: JSONValue, roleNames: [String: String] = [:]) -> String {
        let user = member["user"]
        var line = "\(memberName(member)) (@\(user?["username"]?.stringValue ?? "?"), id \(user?["id"]?.stringValue ?? "?"))"
        if user?["bot"]?.boolValue == true { line += " [bot]" }
        let roles = (member["roles"]?.arrayValue ?? []).compactMap(\.stringValue).map { roleNames[$0] ?? $0 }
        if !roles.isEmpty { line += ", roles: \(roles.joined(separator: ", "))" }
        if let until = member["communication_disabled_until"]?.stringValue { line += ", timed out until \(until)" }
        return line
    }

    static func role(_ role: JSONValue) -> String {
        let id = role["id"]?.stringValue ?? "?"
        var line = "@\(role["name"]?.stringValue ?? id) (id \(id), position \(int(role["position"]) ?? 0)"
        if let color = int(role["color"]), color != 0 { line += ", color #\(String(color, radix: 16))" }
        if role["managed"]?.boolValue == true { line += ", managed by an integration" }
        return line + ")"
    }

    /// "[2026-11-23 10:04] Luis: text (id 1234…) [3 reactions, 1 embed]"
    static func message(_ message: JSONValue) -> String {
        let time = message["timestamp"]?.stringValue.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") }
        var line = "[\(time ?? "?")] \(userName(message["author"])): "
        let content = message["content"]?.stringValue ?? ""
        line += content.isEmpty ? "(no text)" : String(content.prefix(500))
        line += " (id \(message["id"]?.stringValue ?? "?"))"
        var extras: [String] = []
        if let embeds = message["embeds"]?.arrayValue, !embeds.isEmpty { extras.append("\(embeds.count) embed(s)") }
        if let files = message["attachments"]?.arrayValue, !files.isEmpty { extras.append("\(files.count) attachment(s)") }
        let reactions = (message["reactions"]?.arrayValue ?? []).map { reaction in
            "\(emoji(reaction["emoji"])) \(int(reaction["count"]) ?? 0)"
        }
        if !reactions.isEmpty { extras.append(reactions.joined(separator: " ")) }
        if message["pinned"]?.boolValue == true { extras.append("pinned") }
        if let reply = message["message_reference"]?["message_id"]?.stringValue { extras.append("reply to \(reply)") }
        if !extras.isEmpty { line += " [\(extras.joined(separator: ", "))]" }
        return line
    }

    static func emoji(_ emoji: JSONValue?) -> String {
        let name = emoji?["name"]?.stringValue ?? "?"
        if let id = emoji?["id"]?.stringValue { return ":\(name):\(id)" }
        return name
    }

    /// A list with a heading, or a sentence saying there is nothing.
    static func list(_ heading: String, _ lines: [String], empty: String) -> String {
        lines.isEmpty ? empty : "\(heading) (\(lines.count)):\n" + lines.map { "- " + $0 }.joined(separator: "\n")
    }
}
