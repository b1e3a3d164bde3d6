import Testing

@testable import Accounts

/// Mirrors Discord's documented computation (Topics → Permissions → Permission Overwrites).
@Suite struct ChannelPermissionsTests {
    static let guildID = "100"
    static let ownerID = "999"
    static let memberID = "1"
    static let roles: [String: DiscordRole] = [
        guildID: DiscordRole(id: guildID, permissions: [.viewChannel, .sendMessages]),
        "r1": DiscordRole(id: "r1", permissions: [.sendMessages]),
        "r2": DiscordRole(id: "r2", permissions: [.manageMessages]),
        "admin": DiscordRole(id: "admin", permissions: [.administrator]),
        "manager": DiscordRole(id: "manager", permissions: [.manageGuild]),
    ]

    static func member(
        _ roleIDs: [String], userID: String = memberID, roles: [String: DiscordRole] = roles
    ) -> GuildMemberRoles {
        GuildMemberRoles(guildID: guildID, userID: userID, roleIDs: roleIDs, ownerID: ownerID, roles: roles)
    }

    static func everyone(allow: DiscordPermissions = [], deny: DiscordPermissions = []) -> PermissionOverwrite {
        PermissionOverwrite(id: guildID, kind: .role, allow: allow, deny: deny)
    }

    static func role(_ id: String, allow: DiscordPermissions = [], deny: DiscordPermissions = []) -> PermissionOverwrite {
        PermissionOverwrite(id: id, kind: .role, allow: allow, deny: deny)
    }

    static func user(_ id: String = memberID, allow: DiscordPermissions = [], deny: DiscordPermissions = [])
        -> PermissionOverwrite
    {
        PermissionOverwrite(id: id, kind: .member, allow: allow, deny: deny)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var member: GuildMemberRoles
        var overwrites: [PermissionOverwrite]
        var canView: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "the owner has everything whatever the overwrites",
            member: member([], userID: ownerID),
            overwrites: [everyone(deny: .all), user(ownerID, deny: .all)], canView: true),
        Case(
            name: "an ADMINISTRATOR role ignores every overwrite",
            member: member(["admin"]),
            overwrites: [everyone(deny: .all), role("admin", deny: .all), user(deny: .all)], canView: true),
        Case(
            name: "no overwrites leaves the base permissions",
            member: member(["r1"]), overwrites: [], canView: true),
        Case(
            name: "@everyone denied view hides the channel",
            member: member(["r1"]), overwrites: [everyone(deny: .viewChannel)], canView: false),
        Case(
            name: "a role allow beats the @everyone deny",
            member: member(["r1"]), overwrites: [everyone(deny: .viewChannel), role("r1", allow: .viewChannel)],
            canView: true),
        Case(
            name: "a role deny beats the @everyone allow",
            member: member(["r1"]), overwrites: [everyone(allow: .viewChannel), role("r1", deny: .viewChannel)],
            canView: false),
        Case(
            name: "among roles an allow beats a deny (deny first, then allow)",
            member: member(["r1", "r2"]),
            overwrites: [role("r1", deny: .viewChannel), role("r2", allow: .viewChannel)], canView: true),
        Case(
            name: "among roles an allow beats a deny in either order",
            member: member(["r2", "r1"]),
            overwrites: [role("r2", allow: .viewChannel), role("r1", deny: .viewChannel)], canView: true),
        Case(
            name: "an overwrite for a role the member lacks does not apply",
            member: member(["r1"]), overwrites: [everyone(deny: .viewChannel), role("r2", allow: .viewChannel)],
            canView: false),
        Case(
            name: "the member overwrite beats role overwrites",
            member: member(["r1"]),
            overwrites: [everyone(deny: .viewChannel), role("r1", deny: .viewChannel), user(allow: .viewChannel)],
            canView: true),
        Case(
            name: "a member deny beats every allow",
            member: member(["r1"]),
            overwrites: [everyone(allow: .viewChannel), role("r1", allow: .viewChannel), user(deny: .viewChannel)],
            canView: false),
        Case(
            name: "another member's overwrite does not apply",
            member: member(["r1"]), overwrites: [everyone(deny: .viewChannel), user("2", allow: .viewChannel)],
            canView: false),
        Case(
            name: "MANAGE_GUILD is no bypass",
            member: member(["manager"]), overwrites: [everyone(deny: .viewChannel)], canView: false),
        Case(
            name: "without view at guild level and no overwrites the channel is hidden",
            member: member(["r1"], roles: roles.merging([guildID: DiscordRole(id: guildID, permissions: [])]) { $1 }),
            overwrites: [], canView: false),
        Case(
            name: "ADMINISTRATOR given to @everyone counts too",
            member: member([], roles: [guildID: DiscordRole(id: guildID, permissions: [.administrator])]),
            overwrites: [everyone(deny: .all)], canView: true),
    ]

    @Test(arguments: cases)
    func viewingFollowsDiscordsOrder(_ test: Case) {
        let channel = DiscordChannelAccess(guildID: Self.guildID, channelID: "c1", overwrites: test.overwrites)
        #expect(PermissionCalculator.canView(test.member, channel: channel) == test.canView)
    }

    /// Every step at once, on distinct bits, so a step in the wrong order shows.
    @Test func overwritesApplyInDocumentedOrder() {
        let channel = DiscordChannelAccess(
            guildID: Self.guildID, channelID: "c1",
            overwrites: [
                Self.user(allow: .sendMessages, deny: .attachFiles),
                Self.role("r1", allow: .attachFiles, deny: .embedLinks),
                Self.everyone(allow: .embedLinks, deny: .sendMessages),
            ])
        // base {view, send} → @everyone {view, embed} → roles {view, attach} → member {view, send}
        #expect(PermissionCalculator.channelPermissions(Self.member(["r1"]), in: channel) == [.viewChannel, .sendMessages])
    }

    @Test func administratorAndOwnerGetAllInChannels() {
        let channel = DiscordChannelAccess(guildID: Self.guildID, channelID: "c1", overwrites: [Self.everyone(deny: .all)])
        #expect(PermissionCalculator.channelPermissions(Self.member(["admin"]), in: channel) == .all)
        #expect(PermissionCalculator.channelPermissions(Self.member([], userID: Self.ownerID), in: channel) == .all)
    }

    @Test func aChannelOfAnotherGuildGrantsNothing() {
        let channel = DiscordChannelAccess(guildID: "200", channelID: "c9", overwrites: [])
        #expect(PermissionCalculator.channelPermissions(Self.member(["admin"]), in: channel) == [])
        #expect(!PermissionCalculator.canView(Self.member(["r1"]), channel: channel))
    }

    @Test func basePermissionsAreEveryoneOrRoles() {
        #expect(PermissionCalculator.basePermissions(Self.member([])) == [.viewChannel, .sendMessages])
        #expect(
            PermissionCalculator.basePermissions(Self.member(["r1", "r2", "unknown-role"]))
                == [.viewChannel, .sendMessages, .manageMessages])
        #expect(PermissionCalculator.basePermissions(Self.member(["admin"])) == .all)
        #expect(PermissionCalculator.basePermissions(Self.member([], userID: Self.ownerID)) == .all)
        let withoutEveryone = Self.member(["r2"], roles: Self.roles.filter { $0.key != Self.guildID })
        #expect(PermissionCalculator.basePermissions(withoutEveryone) == [.manageMessages])
    }

    @Test func bitsAreDiscords() {
        #expect(DiscordPermissions.administrator.rawValue == 1 << 3)
        #expect(DiscordPermissions.manageChannels.rawValue == 1 << 4)
        #expect(DiscordPermissions.manageGuild.rawValue == 1 << 5)
        #expect(DiscordPermissions.viewChannel.rawValue == 1 << 10)
        #expect(DiscordPermissions.all.isSuperset(of: [.administrator, .viewChannel, .bypassSlowmode]))
    }

    @Test(arguments: [
        ("0", DiscordPermissions()),
        ("8", .administrator),
        ("1024", .viewChannel),
        ("2248473465835073", DiscordPermissions(rawValue: 2_248_473_465_835_073)),
        ("18446744073709551615", .all),
    ])
    func permissionStringsParse(_ text: String, _ expected: DiscordPermissions) {
        #expect(DiscordPermissions(discordString: text) == expected)
        #expect(DiscordPermissions(discordString: text)?.discordString == text)
    }

    @Test(arguments: ["", "-1", "+8", " 8", "8 ", "0x10", "1e3", "1.0", "abc", "18446744073709551616", "٣"])
    func garbagePermissionStringsAreRefused(_ text: String) {
        #expect(DiscordPermissions(discordString: text) == nil)
    }
}
