import Accounts
import DiscordBackend
import MCPCore
import OutboundHTTP

/// The member directory's questions, asked with the bot's token through the Discord REST client (rate limits kept).
struct BotDiscordLookups: DiscordLookups {
    let rest: DiscordRESTClient

    init(settings: MemberSettings, http: OutboundHTTP) {
        rest = DiscordRESTClient(
            configuration: .init(baseURL: settings.apiBaseURL, botToken: settings.botToken, version: GatewayVersion.current),
            http: http)
    }

    func member(guildID: String, userID: String) async throws -> JSONValue? {
        try await absentOn404(DiscordRoute("GET", "/guilds/\(guildID)/members/\(userID)"), action: "look a member up")
    }

    func guild(_ guildID: String) async throws -> JSONValue {
        try await rest.send(DiscordRoute("GET", "/guilds/\(guildID)"), action: "read the guild's roles").body ?? .null
    }

    /// A channel the bot cannot see (403) is one whose visibility it cannot compute: nobody is shown it.
    func channel(_ channelID: String) async throws -> JSONValue? {
        try await absentOn404(
            DiscordRoute("GET", "/channels/\(channelID)"), action: "read the channel's permissions", orForbidden: true)
    }

    private func absentOn404(_ route: DiscordRoute, action: String, orForbidden: Bool = false) async throws -> JSONValue? {
        do {
            return try await rest.send(route, action: action).body
        } catch {
            if error.status == 404 || (orForbidden && error.status == 403) { return nil }
            throw error
        }
    }
}
