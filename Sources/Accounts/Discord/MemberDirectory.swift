import Logging
import MCPCore

/// Who a member is in each allowed guild, and which channels they can view, as the bot sees it. Answers are kept for
/// `ttl`, so a role given or taken on Discord takes effect within it; a member who left a guild loses it as soon as
/// their entry is looked up again. When Discord cannot be asked, a stale answer is used for at most `staleLimit`, and
/// after that the member counts as no member (access fails closed).
public actor MemberDirectory {
    public struct Configuration: Sendable {
        public var allowedGuildIDs: Set<String>
        public var adminRule: BackendAdminRule
        public var ttl: Duration
        public var staleLimit: Duration

        public init(
            allowedGuildIDs: Set<String>, adminRule: BackendAdminRule = .managePermissions, ttl: Duration = .seconds(30),
            staleLimit: Duration = .seconds(600)
        ) {
            self.allowedGuildIDs = allowedGuildIDs
            self.adminRule = adminRule
            self.ttl = ttl
            self.staleLimit = staleLimit
        }
    }

    /// One looked-up Discord object: a member (nil: not one), a guild's roles, a channel (nil: none).
    enum Answer: Sendable {
        case member(JSONValue?)
        case guild(DiscordObjects.GuildRoles?)
        case channel(JSONValue?)
    }

    public let configuration: Configuration
    let lookups: any DiscordLookups
    let logger: Logger
    private var answers: [String: (answer: Answer, at: ContinuousClock.Instant)] = [:]
    private var inFlight: [String: Task<Answer, any Error>] = [:]
    private let maximumEntries = 50_000

    public init(configuration: Configuration, lookups: any DiscordLookups, logger: Logger) {
        self.configuration = configuration
        self.lookups = lookups
        self.logger = logger
    }

    /// What `discordUserID` is in each allowed guild now, and which of `channels` they can view.
    public func standing(userID: String, discordUserID: String, channels: Set<String> = []) async -> MemberStanding {
        var members: [String: GuildMemberRoles] = [:]
        for guildID in configuration.allowedGuildIDs.sorted() {
            if let member = await member(guildID: guildID, discordUserID: discordUserID) { members[guildID] = member }
        }
        var standing = MemberStanding(userID: userID)
        for (guildID, member) in members {
            standing.guilds[guildID] = GuildStanding(
                guildID: guildID, roleIDs: Set(member.roleIDs), isBackendAdmin: configuration.adminRule.isBackendAdmin(member))
        }
        for channelID in channels.sorted() {
            guard let access = await channelAccess(channelID), let member = members[access.guildID] else { continue }
            if PermissionCalculator.canView(member, channel: access) { standing.visibleChannels.insert(channelID) }
        }
        return standing
    }

    /// Forgets what is known about a member, so that the next look-up asks Discord (after they signed in, say).
    public func forget(discordUserID: String) {
        for guildID in configuration.allowedGuildIDs { answers["m:\(guildID):\(discordUserID)"] = nil }
    }

    private func member(guildID: String, discordUserID: String) async -> GuildMemberRoles? {
        let lookups = self.lookups
        guard
            case .member(let found?)? = await answer(
                "m:\(guildID):\(discordUserID)",
                { () async throws -> Answer in
                    .member(try await lookups.member(guildID: guildID, userID: discordUserID))
                }),
            case .guild(let roles?)? = await answer(
                "g:\(guildID)",
                { () async throws -> Answer in
                    .guild(DiscordObjects.guildRoles(try await lookups.guild(guildID)))
                })
        else { return nil }
        return GuildMemberRoles(
            guildID: guildID, userID: discordUserID, roleIDs: DiscordObjects.roleIDs(ofMember: found), ownerID: roles.ownerID,
            roles: roles.roles)
    }

    /// The channel's guild and overwrites; a thread has its parent's (who may view the parent may view its public
    /// threads). Private threads are left out: who may see one depends on being added to it, which no overwrite says.
    private func channelAccess(_ channelID: String) async -> DiscordChannelAccess? {
        guard let channel = await channel(channelID), let guildID = channel["guild_id"]?.stringValue,
            configuration.allowedGuildIDs.contains(guildID)
        else { return nil }
        let type: Int64 = channel["type"].flatMap { if case .int(let kind) = $0 { kind } else { nil } } ?? 0
        guard DiscordObjects.threadTypes.contains(type) else {
            return DiscordChannelAccess(
                guildID: guildID, channelID: channelID, overwrites: DiscordObjects.overwrites(of: channel))
        }
        guard type != 12, let parentID = channel["parent_id"]?.stringValue, let parent = await self.channel(parentID) else {
            return nil
        }
        return DiscordChannelAccess(guildID: guildID, channelID: channelID, overwrites: DiscordObjects.overwrites(of: parent))
    }

    private func channel(_ channelID: String) async -> JSONValue? {
        let lookups = self.lookups
        guard
            case .channel(let channel?)? = await answer(
                "c:\(channelID)",
                { () async throws -> Answer in
                    .channel(try await lookups.channel(channelID))
                })
        else { return nil }
        return channel
    }

    /// The answer under `key`: cached while fresh, else fetched once however many ask at the same time; on failure
    /// the stale answer while it is within `staleLimit`, else nil.
    private func answer(_ key: String, _ fetch: @escaping @Sendable () async throws -> Answer) async -> Answer? {
        let now = ContinuousClock.now
        if let cached = answers[key], now - cached.at < configuration.ttl { return cached.answer }
        let task: Task<Answer, any Error>
        if let running = inFlight[key] {
            task = running
        } else {
            task = Task { try await fetch() }
            inFlight[key] = task
        }
        do {
            let fresh = try await task.value
            inFlight[key] = nil
            if answers[key] == nil, answers.count >= maximumEntries { prune(now: now) }
            answers[key] = (fresh, ContinuousClock.now)
            return fresh
        } catch {
            inFlight[key] = nil
            logger.warning(
                "could not ask Discord about a member; using what is known",
                metadata: ["lookup": "\(key.prefix(2))", "error": "\(error)"])
            if let stale = answers[key], now - stale.at < configuration.staleLimit { return stale.answer }
            return nil
        }
    }

    private func prune(now: ContinuousClock.Instant) {
        answers = answers.filter { now - $0.value.at < configuration.staleLimit }
    }
}
