/// Who a backend definition is for. Stored as JSON in the backend's row, so the encoding is a
/// fixed, explicit shape rather than what Swift would synthesize:
/// `{"kind":"global"}`, `{"kind":"guild","guild_id":"…","role_ids":[…]}`,
/// `{"kind":"channel","guild_id":"…","channel_id":"…"}`, `{"kind":"user","owner_id":"…"}`.
public enum BackendScope: Sendable, Hashable, Codable {
    /// Every signed-in member, and the operator.
    case global
    /// Members of the guild holding one of these roles; no roles means every member of the guild.
    case guild(guildID: String, roleIDs: [String])
    /// Members of the guild who can view the channel.
    case channel(guildID: String, channelID: String)
    /// One user only (our user id, e.g. "discord:1234", or `Viewer.operatorUserID`).
    case user(ownerID: String)

    private enum CodingKeys: String, CodingKey {
        case kind
        case guildID = "guild_id"
        case roleIDs = "role_ids"
        case channelID = "channel_id"
        case ownerID = "owner_id"
    }

    /// Every field is required, `role_ids` too: a scope that lost a field must not decode as a
    /// wider one (a guild scope without its roles would open to the whole guild).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "global":
            self = .global
        case "guild":
            self = .guild(
                guildID: try container.decode(String.self, forKey: .guildID),
                roleIDs: try container.decode([String].self, forKey: .roleIDs))
        case "channel":
            self = .channel(
                guildID: try container.decode(String.self, forKey: .guildID),
                channelID: try container.decode(String.self, forKey: .channelID))
        case "user":
            self = .user(ownerID: try container.decode(String.self, forKey: .ownerID))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "unknown scope kind \"\(kind)\"; expected global, guild, channel or user")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .global:
            try container.encode("global", forKey: .kind)
        case .guild(let guildID, let roleIDs):
            try container.encode("guild", forKey: .kind)
            try container.encode(guildID, forKey: .guildID)
            try container.encode(roleIDs, forKey: .roleIDs)
        case .channel(let guildID, let channelID):
            try container.encode("channel", forKey: .kind)
            try container.encode(guildID, forKey: .guildID)
            try container.encode(channelID, forKey: .channelID)
        case .user(let ownerID):
            try container.encode("user", forKey: .kind)
            try container.encode(ownerID, forKey: .ownerID)
        }
    }
}
