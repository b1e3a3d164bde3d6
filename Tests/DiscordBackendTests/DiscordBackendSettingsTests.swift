import MCPCore
import Testing

@testable import DiscordBackend

@Suite struct DiscordBackendSettingsTests {
    static let token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"

    @Test func environmentVariablesConfigureTheDefaultBackend() throws {
        #expect(DiscordBackendSettings.fields(fromEnvironment: ["DISCORD_READ_ONLY": "true"]) == nil)
        let fields = try #require(
            DiscordBackendSettings.fields(fromEnvironment: [
                "DISCORD_BOT_TOKEN": Self.token, "DISCORD_ALLOWED_GUILD_IDS": "111111111111111111, 222222222222222222",
                "DISCORD_READ_ONLY": "true", "DISCORD_REQUIRE_CONFIRMATION": "false", "DISCORD_ALLOW_DMS": "yes",
                "DISCORD_DENIED_CHANNEL_IDS": "333333333333333333", "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10",
            ]))
        let settings = try DiscordBackendSettings(fields: fields)
        #expect(settings.token == Self.token)
        #expect(settings.policy.allowedGuildIDs == ["111111111111111111", "222222222222222222"])
        #expect(settings.policy.deniedChannelIDs == ["333333333333333333"])
        #expect(settings.policy.readOnly && !settings.policy.requireConfirmation && settings.policy.allowDirectMessages)
        #expect(settings.apiBaseURL == "http://127.0.0.1:9/api/v10")
    }

    @Test func defaultsAreTheSafeOnes() throws {
        let settings = try DiscordBackendSettings(fields: ["token": .string("Bot " + Self.token)])
        #expect(settings.token == Self.token)
        #expect(settings.apiBaseURL == "https://discord.com/api/v10")
        #expect(settings.policy.requireConfirmation && !settings.policy.readOnly && !settings.policy.allowDirectMessages)
        #expect(settings.policy.allowedGuildIDs.isEmpty)
    }

    @Test(arguments: [
        (["allowed_guild_ids": "123"] as [String: JSONValue], "allowed_guild_ids"),
        (["read_only": "maybe"], "read_only"),
        (["api_base_url": "http://discord.example.com/api/v10"], "api_base_url"),
        (["token": "mfa.abcdefghijklmnopqrstuvwxyz"], "token"),
        (["token": "short"], "token"),
        (["token": ""], "token"),
        (["guilds": "x"], "guilds"),
    ])
    func mistakesNameTheirField(_ overrides: [String: JSONValue], _ field: String) {
        var fields: [String: JSONValue] = ["token": .string(Self.token)]
        fields.merge(overrides) { _, new in new }
        #expect(throws: DiscordBackendSettings.Problem.self) { try DiscordBackendSettings(fields: fields) }
        do {
            _ = try DiscordBackendSettings(fields: fields)
        } catch {
            #expect(error.field == field)
            #expect(!error.message.contains(Self.token))
        }
    }
}
