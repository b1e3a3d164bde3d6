/// A Discord permission bitfield (docs: Topics → Permissions → Bitwise Permission Flags).
///
/// Discord sends these as decimal strings because they no longer fit in a JSON number that every
/// client reads exactly; all flags defined so far fit in 64 bits.
public struct DiscordPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Parses Discord's decimal string ("0", "2248473465835073"); nil for anything else, including
    /// a sign, whitespace, or a value past 64 bits, so that a field we cannot read grants nothing.
    public init?(discordString: String) {
        guard !discordString.isEmpty, discordString.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = UInt64(discordString)
        else { return nil }
        self.init(rawValue: value)
    }

    /// The decimal string Discord expects back.
    public var discordString: String { String(rawValue) }

    /// Every bit, known or not yet defined: what the guild owner and ADMINISTRATOR hold, so that a
    /// permission Discord adds later is theirs too.
    public static let all = DiscordPermissions(rawValue: .max)

    public static let createInstantInvite = DiscordPermissions(rawValue: 1 << 0)
    public static let kickMembers = DiscordPermissions(rawValue: 1 << 1)
    public static let banMembers = DiscordPermissions(rawValue: 1 << 2)
    public static let administrator = DiscordPermissions(rawValue: 1 << 3)
    public static let manageChannels = DiscordPermissions(rawValue: 1 << 4)
    public static let manageGuild = DiscordPermissions(rawValue: 1 << 5)
    public static let addReactions = DiscordPermissions(rawValue: 1 << 6)
    public static let viewAuditLog = DiscordPermissions(rawValue: 1 << 7)
    public static let prioritySpeaker = DiscordPermissions(rawValue: 1 << 8)
    public static let stream = DiscordPermissions(rawValue: 1 << 9)
    public static let viewChannel = DiscordPermissions(rawValue: 1 << 10)
    public static let sendMessages = DiscordPermissions(rawValue: 1 << 11)
    public static let sendTTSMessages = DiscordPermissions(rawValue: 1 << 12)
    public static let manageMessages = DiscordPermissions(rawValue: 1 << 13)
    public static let embedLinks = DiscordPermissions(rawValue: 1 << 14)
    public static let attachFiles = DiscordPermissions(rawValue: 1 << 15)
    public static let readMessageHistory = DiscordPermissions(rawValue: 1 << 16)
    public static let mentionEveryone = DiscordPermissions(rawValue: 1 << 17)
    public static let useExternalEmojis = DiscordPermissions(rawValue: 1 << 18)
    public static let viewGuildInsights = DiscordPermissions(rawValue: 1 << 19)
    public static let connect = DiscordPermissions(rawValue: 1 << 20)
    public static let speak = DiscordPermissions(rawValue: 1 << 21)
    public static let muteMembers = DiscordPermissions(rawValue: 1 << 22)
    public static let deafenMembers = DiscordPermissions(rawValue: 1 << 23)
    public static let moveMembers = DiscordPermissions(rawValue: 1 << 24)
    public static let useVAD = DiscordPermissions(rawValue: 1 << 25)
    public static let changeNickname = DiscordPermissions(rawValue: 1 << 26)
    public static let manageNicknames = DiscordPermissions(rawValue: 1 << 27)
    public static let manageRoles = DiscordPermissions(rawValue: 1 << 28)
    public static let manageWebhooks = DiscordPermissions(rawValue: 1 << 29)
    public static let manageGuildExpressions = DiscordPermissions(rawValue: 1 << 30)
    public static let useApplicationCommands = DiscordPermissions(rawValue: 1 << 31)
    public static let requestToSpeak = DiscordPermissions(rawValue: 1 << 32)
    public static let manageEvents = DiscordPermissions(rawValue: 1 << 33)
    public static let manageThreads = DiscordPermissions(rawValue: 1 << 34)
    public static let createPublicThreads = DiscordPermissions(rawValue: 1 << 35)
    public static let createPrivateThreads = DiscordPermissions(rawValue: 1 << 36)
    public static let useExternalStickers = DiscordPermissions(rawValue: 1 << 37)
    public static let sendMessagesInThreads = DiscordPermissions(rawValue: 1 << 38)
    public static let useEmbeddedActivities = DiscordPermissions(rawValue: 1 << 39)
    public static let moderateMembers = DiscordPermissions(rawValue: 1 << 40)
    public static let viewCreatorMonetizationAnalytics = DiscordPermissions(rawValue: 1 << 41)
    public static let useSoundboard = DiscordPermissions(rawValue: 1 << 42)
    public static let createGuildExpressions = DiscordPermissions(rawValue: 1 << 43)
    public static let createEvents = DiscordPermissions(rawValue: 1 << 44)
    public static let useExternalSounds = DiscordPermissions(rawValue: 1 << 45)
    public static let sendVoiceMessages = DiscordPermissions(rawValue: 1 << 46)
    public static let sendPolls = DiscordPermissions(rawValue: 1 << 49)
    public static let useExternalApps = DiscordPermissions(rawValue: 1 << 50)
    public static let pinMessages = DiscordPermissions(rawValue: 1 << 51)
    public static let bypassSlowmode = DiscordPermissions(rawValue: 1 << 52)
}
