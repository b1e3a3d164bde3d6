import Foundation
import MCPCore

/// One Discord backend's settings: from `DISCORD_*` variables for the default backend, or from the fields of a
/// `"type": "discord"` entry in `backends.json` (the same names, lower case, without the prefix).
public struct DiscordBackendSettings: Sendable, Equatable {
    public var token: String
    public var apiBaseURL: String
    public var policy: DiscordPolicy

    public static let defaultAPIBaseURL = "https://discord.com/api/v10"

    /// Field names of a `backends.json` entry, and the variables that set them for the default backend.
    public static let variables: KeyValuePairs<String, String> = [
        "token": "DISCORD_BOT_TOKEN",
        "api_base_url": "DISCORD_API_BASE_URL",
        "allowed_guild_ids": "DISCORD_ALLOWED_GUILD_IDS",
        "read_only": "DISCORD_READ_ONLY",
        "denied_channel_ids": "DISCORD_DENIED_CHANNEL_IDS",
        "require_confirmation": "DISCORD_REQUIRE_CONFIRMATION",
        "allow_dms": "DISCORD_ALLOW_DMS",
    ]

    public static var fieldNames: Set<String> { Set(variables.map(\.key)) }

    /// A setting that is wrong: which field, and what to do.
    public struct Problem: Error, Sendable, Equatable {
        public let field: String
        public let message: String
    }

    /// The default backend's fields from the environment, or nil when `DISCORD_BOT_TOKEN` is not set.
    public static func fields(fromEnvironment environment: [String: String]) -> [String: JSONValue]? {
        guard let token = environment["DISCORD_BOT_TOKEN"], !token.isEmpty else { return nil }
        var fields: [String: JSONValue] = ["token": .string(token)]
        for (field, variable) in variables {
            if let value = environment[variable], !value.isEmpty { fields[field] = .string(value) }
        }
        return fields
    }

    public init(fields: [String: JSONValue]) throws(Problem) {
        if let unknown = fields.keys.sorted().first(where: { !Self.fieldNames.contains($0) }) {
            throw Problem(
                field: unknown,
                message: "is not a Discord backend setting (known: \(Self.variables.map(\.key).joined(separator: ", ")))")
        }
        guard case .string(var token)? = fields["token"], !token.isEmpty else {
            throw Problem(field: "token", message: "is required: the bot's token from the Discord developer portal")
        }
        if token.hasPrefix("Bot ") { token = String(token.dropFirst(4)) }
        guard token.allSatisfy({ !$0.isWhitespace }), token.count >= 20 else {
            throw Problem(field: "token", message: "is not a bot token (copy it from the developer portal's Bot page)")
        }
        guard !token.hasPrefix("mfa.") else {
            throw Problem(field: "token", message: "is a user token; the gateway only uses bot tokens (Discord bans self-bots)")
        }
        self.token = token
        apiBaseURL = try Self.string(fields, "api_base_url") ?? Self.defaultAPIBaseURL
        guard let url = URL(string: apiBaseURL), let scheme = url.scheme, let host = url.host else {
            throw Problem(field: "api_base_url", message: "must be an absolute URL")
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw Problem(
                field: "api_base_url", message: "must be https (http only on localhost): the bot token travels with every request"
            )
        }
        policy = DiscordPolicy()
        policy.allowedGuildIDs = try Self.ids(fields, "allowed_guild_ids")
        policy.deniedChannelIDs = try Self.ids(fields, "denied_channel_ids")
        policy.readOnly = try Self.flag(fields, "read_only") ?? false
        policy.requireConfirmation = try Self.flag(fields, "require_confirmation") ?? true
        policy.allowDirectMessages = try Self.flag(fields, "allow_dms") ?? false
    }

    static func string(_ fields: [String: JSONValue], _ field: String) throws(Problem) -> String? {
        switch fields[field] {
        case nil: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        default: throw Problem(field: field, message: "must be a string")
        }
    }

    static func flag(_ fields: [String: JSONValue], _ field: String) throws(Problem) -> Bool? {
        switch fields[field] {
        case nil: return nil
        case .bool(let flag)?: return flag
        case .string(let text)?:
            switch text.lowercased() {
            case "", "unset": return nil
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw Problem(field: field, message: "must be true or false, not \"\(text)\"")
            }
        default: throw Problem(field: field, message: "must be true or false")
        }
    }

    /// Ids as a list, or as one string separated by commas or spaces (the environment's form).
    static func ids(_ fields: [String: JSONValue], _ field: String) throws(Problem) -> Set<String> {
        var texts: [String] = []
        switch fields[field] {
        case nil: return []
        case .string(let text)?:
            texts = text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
        case .array(let items)?:
            for item in items {
                switch item {
                case .string(let text): texts.append(text)
                case .int(let number): texts.append(String(number))
                default: throw Problem(field: field, message: "must be a list of Discord ids")
                }
            }
        case .int(let number)?: texts = [String(number)]
        default: throw Problem(field: field, message: "must be a list of Discord ids")
        }
        for text in texts where !DiscordSnowflake.isValid(text) {
            throw Problem(field: field, message: "\"\(text.prefix(30))\" is not a Discord id (17 to 20 digits)")
        }
        return Set(texts)
    }
}
