/// What the operator allows the Discord backend to see and do.
public struct DiscordPolicy: Sendable, Equatable {
    /// When not empty, every other guild is invisible and untouchable.
    public var allowedGuildIDs: Set<String> = []
    /// Write tools are not listed and are refused if called.
    public var readOnly = false
    /// Channels neither read nor written.
    public var deniedChannelIDs: Set<String> = []
    /// Destructive and sweeping actions need a dry run and a confirmation first.
    public var requireConfirmation = true
    /// `send_dm` is off unless this is set.
    public var allowDirectMessages = false

    public init() {}

    public func allowsGuild(_ id: String) -> Bool {
        allowedGuildIDs.isEmpty || allowedGuildIDs.contains(id)
    }

    public func allowsChannel(_ id: String) -> Bool {
        !deniedChannelIDs.contains(id)
    }

    /// Why a call may not happen, in words for the model, or nil when it may.
    public func refusal(guildID: String?, channelID: String?, isWrite: Bool) -> String? {
        if isWrite && readOnly { return "the Discord backend is read-only (DISCORD_READ_ONLY)" }
        if let guildID, !allowsGuild(guildID) {
            return "server \(guildID) is not one this gateway may use (DISCORD_ALLOWED_GUILD_IDS)"
        }
        if let channelID, !allowsChannel(channelID) {
            return "channel \(channelID) is closed to this gateway (DISCORD_DENIED_CHANNEL_IDS)"
        }
        return nil
    }
}
