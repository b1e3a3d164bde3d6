import Foundation
import Testing

@testable import Accounts

@Suite struct ScopePolicyTests {
    /// In g1 with role r1 and no admin right, backend admin of g2, not in g3; can view c1 (g1) and c3 (g3).
    static let standing = MemberStanding(
        userID: "discord:1",
        guilds: [
            "g1": GuildStanding(guildID: "g1", roleIDs: ["r1"], isBackendAdmin: false),
            "g2": GuildStanding(guildID: "g2", roleIDs: [], isBackendAdmin: true),
        ],
        visibleChannels: ["c1", "c3"])
    static let member = Viewer.member(standing)

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var viewer: Viewer
        var scope: BackendScope
        var see: Bool
        var manage: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "operator, global", viewer: .operator, scope: .global, see: true, manage: true),
        Case(name: "operator, own", viewer: .operator, scope: .user(ownerID: "operator"), see: true, manage: true),
        Case(name: "operator, a member's", viewer: .operator, scope: .user(ownerID: "discord:1"), see: false, manage: true),
        Case(name: "operator, guild", viewer: .operator, scope: .guild(guildID: "g1", roleIDs: []), see: false, manage: true),
        Case(
            name: "operator, channel", viewer: .operator, scope: .channel(guildID: "g1", channelID: "c1"), see: false,
            manage: true),

        Case(name: "member, global", viewer: member, scope: .global, see: true, manage: false),
        Case(name: "member, own", viewer: member, scope: .user(ownerID: "discord:1"), see: true, manage: true),
        Case(name: "member, another's", viewer: member, scope: .user(ownerID: "discord:2"), see: false, manage: false),
        Case(name: "member, the operator's", viewer: member, scope: .user(ownerID: "operator"), see: false, manage: false),
        Case(
            name: "member, own guild, no roles listed", viewer: member, scope: .guild(guildID: "g1", roleIDs: []),
            see: true, manage: false),
        Case(
            name: "member, own guild, holds the role", viewer: member, scope: .guild(guildID: "g1", roleIDs: ["r1"]),
            see: true, manage: false),
        Case(
            name: "member, own guild, holds one of the roles", viewer: member,
            scope: .guild(guildID: "g1", roleIDs: ["r9", "r1"]), see: true, manage: false),
        Case(
            name: "member, own guild, lacks the role", viewer: member, scope: .guild(guildID: "g1", roleIDs: ["r9"]),
            see: false, manage: false),
        Case(
            name: "member, another guild", viewer: member, scope: .guild(guildID: "g9", roleIDs: []), see: false,
            manage: false),
        Case(
            name: "member, guild they administer", viewer: member, scope: .guild(guildID: "g2", roleIDs: []), see: true,
            manage: true),
        Case(
            name: "member, guild they administer, role they lack", viewer: member,
            scope: .guild(guildID: "g2", roleIDs: ["r5"]), see: false, manage: true),
        Case(
            name: "member, visible channel", viewer: member, scope: .channel(guildID: "g1", channelID: "c1"), see: true,
            manage: false),
        Case(
            name: "member, hidden channel", viewer: member, scope: .channel(guildID: "g1", channelID: "c2"), see: false,
            manage: false),
        Case(
            name: "member, visible channel of a guild they are not in", viewer: member,
            scope: .channel(guildID: "g3", channelID: "c3"), see: false, manage: false),
        Case(
            name: "member, hidden channel of a guild they administer", viewer: member,
            scope: .channel(guildID: "g2", channelID: "c4"), see: false, manage: true),

        Case(
            name: "a member claiming the operator's id", viewer: .member(MemberStanding(userID: "operator")),
            scope: .user(ownerID: "operator"), see: false, manage: false),
        Case(
            name: "a member with an empty id", viewer: .member(MemberStanding(userID: "")), scope: .user(ownerID: ""),
            see: false, manage: false),
    ]

    @Test(arguments: cases)
    func policy(_ test: Case) {
        #expect(ScopePolicy.maySee(test.scope, viewer: test.viewer) == test.see)
        #expect(ScopePolicy.mayManage(test.scope, viewer: test.viewer) == test.manage)
        #expect(ScopePolicy.mayCreate(test.scope, viewer: test.viewer) == test.manage)
    }

    @Test func viewersHaveUserIDs() {
        #expect(Viewer.operator.userID == Viewer.operatorUserID)
        #expect(Self.member.userID == "discord:1")
    }

    // MARK: Backend admins

    static let roles: [String: DiscordRole] = [
        "g": DiscordRole(id: "g", permissions: [.viewChannel]),
        "admin": DiscordRole(id: "admin", permissions: [.administrator]),
        "manager": DiscordRole(id: "manager", permissions: [.manageGuild]),
        "channels": DiscordRole(id: "channels", permissions: [.manageChannels]),
        "mods": DiscordRole(id: "mods", permissions: [.manageMessages]),
    ]

    static func guildMember(_ roleIDs: [String], userID: String = "1") -> GuildMemberRoles {
        GuildMemberRoles(guildID: "g", userID: userID, roleIDs: roleIDs, ownerID: "owner", roles: roles)
    }

    @Test(arguments: [
        (BackendAdminRule.managePermissions, guildMember([], userID: "owner"), true),
        (.managePermissions, guildMember(["admin"]), true),
        (.managePermissions, guildMember(["manager"]), true),
        (.managePermissions, guildMember(["channels"]), false),
        (.managePermissions, guildMember(["mods"]), false),
        (.managePermissions, guildMember([]), false),
        (.roles(["mods"]), guildMember(["mods"]), true),
        (.roles(["mods", "other"]), guildMember(["channels", "mods"]), true),
        (.roles(["mods"]), guildMember([], userID: "owner"), true),
        (.roles(["mods"]), guildMember(["admin"]), true),
        (.roles(["mods"]), guildMember(["manager"]), false),
        (.roles(["mods"]), guildMember([]), false),
        (.roles([]), guildMember(["mods"]), false),
    ])
    func backendAdmins(rule: BackendAdminRule, member: GuildMemberRoles, expected: Bool) {
        #expect(rule.isBackendAdmin(member) == expected)
    }

    // MARK: Stored form

    @Test(arguments: [
        (BackendScope.global, #"{"kind":"global"}"#),
        (.guild(guildID: "1", roleIDs: ["2", "3"]), #"{"guild_id":"1","kind":"guild","role_ids":["2","3"]}"#),
        (.guild(guildID: "1", roleIDs: []), #"{"guild_id":"1","kind":"guild","role_ids":[]}"#),
        (.channel(guildID: "1", channelID: "4"), #"{"channel_id":"4","guild_id":"1","kind":"channel"}"#),
        (.user(ownerID: "discord:5"), #"{"kind":"user","owner_id":"discord:5"}"#),
    ])
    func scopesHaveAStableJSONShape(scope: BackendScope, json: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(scope), as: UTF8.self) == json)
        #expect(try JSONDecoder().decode(BackendScope.self, from: Data(json.utf8)) == scope)
    }

    @Test(arguments: [
        #"{"kind":"team"}"#,
        #"{"kind":"GLOBAL"}"#,
        #"{}"#,
        #"{"kind":5}"#,
        #"{"kind":"guild","guild_id":"1"}"#,
        #"{"kind":"guild","role_ids":[]}"#,
        #"{"kind":"guild","guild_id":1,"role_ids":[]}"#,
        #"{"kind":"channel","guild_id":"1"}"#,
        #"{"kind":"channel","channel_id":"4"}"#,
        #"{"kind":"user"}"#,
        #"{"kind":"user","owner_id":null}"#,
        #""global""#,
    ])
    func badScopesAreRefused(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BackendScope.self, from: Data(json.utf8)) }
    }
}
