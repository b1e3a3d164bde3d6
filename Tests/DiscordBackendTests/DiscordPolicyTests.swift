import Foundation
import MCPCore
import Testing

@testable import DiscordBackend

@Suite struct ConfirmationTokenTests {
    let tokens = ConfirmationTokens()
    let arguments: JSONValue = ["channel_id": "111111111111111111", "reason": "cleanup"]

    @Test func aTokenRunsTheSameActionOnce() {
        let token = tokens.issue(tool: "delete_channel", arguments: arguments)
        var withToken = arguments.objectValue!
        withToken["confirmation"] = .string(token)
        #expect(tokens.redeem(token, tool: "delete_channel", arguments: .object(withToken)) == .valid)
        guard case .refused(let reason) = tokens.redeem(token, tool: "delete_channel", arguments: arguments) else {
            Issue.record("a replay was accepted")
            return
        }
        #expect(reason.contains("already used"))
    }

    @Test func aTokenForOtherArgumentsOrAnotherToolIsRefused() {
        let token = tokens.issue(tool: "delete_channel", arguments: arguments)
        #expect(
            tokens.redeem(token, tool: "delete_channel", arguments: ["channel_id": "222222222222222222", "reason": "cleanup"])
                != .valid)
        #expect(tokens.redeem(token, tool: "delete_role", arguments: arguments) != .valid)
        #expect(ConfirmationTokens().redeem(token, tool: "delete_channel", arguments: arguments) != .valid)
        #expect(tokens.redeem("garbage", tool: "delete_channel", arguments: arguments) != .valid)
        // Still unspent: the refusals above did not use it up.
        #expect(tokens.redeem(token, tool: "delete_channel", arguments: arguments) == .valid)
    }

    @Test func aTokenExpiresAfterFiveMinutes() {
        let now = Date()
        let token = tokens.issue(tool: "ban_member", arguments: arguments, now: now)
        #expect(tokens.redeem(token, tool: "ban_member", arguments: arguments, now: now.addingTimeInterval(301)) != .valid)
        #expect(tokens.redeem(token, tool: "ban_member", arguments: arguments, now: now.addingTimeInterval(299)) == .valid)
    }
}

@Suite struct DiscordPolicyTests {
    @Test func allowListsReadOnlyAndDeniedChannels() {
        var policy = DiscordPolicy()
        #expect(policy.refusal(guildID: "1", channelID: "2", isWrite: true) == nil)
        policy.allowedGuildIDs = ["111111111111111111"]
        policy.deniedChannelIDs = ["333333333333333333"]
        #expect(policy.refusal(guildID: "111111111111111111", channelID: nil, isWrite: false) == nil)
        #expect(
            policy.refusal(guildID: "222222222222222222", channelID: nil, isWrite: false)?.contains("DISCORD_ALLOWED_GUILD_IDS")
                == true)
        #expect(
            policy.refusal(guildID: nil, channelID: "333333333333333333", isWrite: false)?.contains("DISCORD_DENIED_CHANNEL_IDS")
                == true)
        policy.readOnly = true
        #expect(policy.refusal(guildID: "111111111111111111", channelID: nil, isWrite: true)?.contains("read-only") == true)
        #expect(policy.refusal(guildID: "111111111111111111", channelID: nil, isWrite: false) == nil)
    }
}
