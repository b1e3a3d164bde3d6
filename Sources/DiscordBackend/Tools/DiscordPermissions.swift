/// Discord's permission flags by name, so tools can take `["VIEW_CHANNEL", "SEND_MESSAGES"]` instead of numbers.
enum DiscordPermissions {
    static let bits: [String: Int] = [
        "CREATE_INSTANT_INVITE": 0, "KICK_MEMBERS": 1, "BAN_MEMBERS": 2, "ADMINISTRATOR": 3, "MANAGE_CHANNELS": 4,
        "MANAGE_GUILD": 5, "ADD_REACTIONS": 6, "VIEW_AUDIT_LOG": 7, "PRIORITY_SPEAKER": 8, "STREAM": 9, "VIEW_CHANNEL": 10,
        "SEND_MESSAGES": 11, "SEND_TTS_MESSAGES": 12, "MANAGE_MESSAGES": 13, "EMBED_LINKS": 14, "ATTACH_FILES": 15,
        "READ_MESSAGE_HISTORY": 16, "MENTION_EVERYONE": 17, "USE_EXTERNAL_EMOJIS": 18, "VIEW_GUILD_INSIGHTS": 19,
        "CONNECT": 20, "SPEAK": 21, "MUTE_MEMBERS": 22, "DEAFEN_MEMBERS": 23, "MOVE_MEMBERS": 24, "USE_VAD": 25,
        "CHANGE_NICKNAME": 26, "MANAGE_NICKNAMES": 27, "MANAGE_ROLES": 28, "MANAGE_WEBHOOKS": 29,
        "MANAGE_GUILD_EXPRESSIONS": 30, "USE_APPLICATION_COMMANDS": 31, "REQUEST_TO_SPEAK": 32, "MANAGE_EVENTS": 33,
        "MANAGE_THREADS": 34, "CREATE_PUBLIC_THREADS": 35, "CREATE_PRIVATE_THREADS": 36, "USE_EXTERNAL_STICKERS": 37,
        "SEND_MESSAGES_IN_THREADS": 38, "USE_EMBEDDED_ACTIVITIES": 39, "MODERATE_MEMBERS": 40,
        "VIEW_CREATOR_MONETIZATION_ANALYTICS": 41, "USE_SOUNDBOARD": 42, "CREATE_GUILD_EXPRESSIONS": 43,
        "CREATE_EVENTS": 44, "USE_EXTERNAL_SOUNDS": 45, "SEND_VOICE_MESSAGES": 46, "SEND_POLLS": 49,
        "USE_EXTERNAL_APPS": 50, "PIN_MESSAGES": 51,
    ]

    /// Names or one decimal bit set (as Discord writes them) to the decimal string Discord expects.
    static func value(_ names: [String], field: String) throws(ToolFailure) -> String {
        var value: UInt64 = 0
        for name in names {
            let key = name.uppercased().replacingOccurrences(of: " ", with: "_")
            if let bit = bits[key] {
                value |= 1 << UInt64(bit)
            } else if let number = UInt64(name) {
                value |= number
            } else {
                let close = NameMatching.closeMatches(for: name, in: Array(bits.keys))
                throw ToolFailure(
                    "\(field): \"\(name)\" is not a Discord permission"
                        + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"))
            }
        }
        return String(value)
    }

    /// The names of the flags set in a decimal bit set.
    static func names(_ value: String?) -> [String] {
        guard let value, let number = UInt64(value) else { return [] }
        return bits.filter { number & (1 << UInt64($0.value)) != 0 }.map(\.key).sorted()
    }
}
