import Accounts
import DiscordBackend
import Foundation
import MCPCore

/// Sign in with Discord, for a community's members: set by `DISCORD_CLIENT_ID`. It needs the Discord application's
/// secret, the bot (whose token looks members up in the guilds) and the guilds whose members may sign in.
public struct MemberSettings: Sendable, Equatable {
    public var application: DiscordOAuth2.Application
    public var botToken: String
    public var apiBaseURL: String
    public var allowedGuildIDs: Set<String>
    /// Roles whose members manage a guild's backends; empty: members with Manage Server or Administrator.
    public var backendAdminRoleIDs: Set<String>
    /// How long a member's roles are trusted before the bot asks Discord again.
    public var cacheSeconds: Int

    public enum Name {
        public static let clientID = "DISCORD_CLIENT_ID"
        public static let clientSecret = "DISCORD_CLIENT_SECRET"
        public static let authorizeURL = "DISCORD_OAUTH_AUTHORIZE_URL"
        public static let backendAdminRoleIDs = "DISCORD_BACKEND_ADMIN_ROLE_IDS"
        public static let cacheSeconds = "GATEWAY_MEMBER_CACHE_SECONDS"
        public static let botToken = "DISCORD_BOT_TOKEN"
        public static let allowedGuildIDs = "DISCORD_ALLOWED_GUILD_IDS"
    }

    /// The member settings in `values`, or nil when `DISCORD_CLIENT_ID` is not set (only the operator signs in).
    public static func from(_ values: [String: String]) throws(SettingsError) -> MemberSettings? {
        func text(_ name: String) -> String? {
            guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        guard let clientID = text(Name.clientID) else {
            for name in [Name.clientSecret, Name.backendAdminRoleIDs] where text(name) != nil {
                throw SettingsError(Name.clientID, "must be set when \(name) is (the Discord application's id)")
            }
            return nil
        }
        guard DiscordSnowflake.isValid(clientID) else {
            throw SettingsError(Name.clientID, "must be the Discord application's id (17 to 20 digits)")
        }
        guard let secret = text(Name.clientSecret) else {
            throw SettingsError(
                Name.clientSecret,
                "must be set with \(Name.clientID): the application's OAuth2 client secret (Developer Portal → OAuth2)")
        }
        guard let fields = DiscordBackendSettings.fields(fromEnvironment: values) else {
            throw SettingsError(
                Name.botToken, "must be set with \(Name.clientID): the bot looks members and their roles up in the guilds")
        }
        let discord: DiscordBackendSettings
        do {
            discord = try DiscordBackendSettings(fields: fields)
        } catch {
            throw SettingsError(
                DiscordBackendSettings.variables.first { $0.key == error.field }?.value ?? error.field, error.message)
        }
        guard !discord.policy.allowedGuildIDs.isEmpty else {
            throw SettingsError(
                Name.allowedGuildIDs, "must list the guilds whose members may sign in (\(Name.clientID) is set)")
        }
        let authorizeURL = text(Name.authorizeURL) ?? DiscordOAuth2.Application.defaultAuthorizeURL
        guard let url = URLComponents(string: authorizeURL), let scheme = url.scheme?.lowercased(), let host = url.host,
            scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host))
        else {
            throw SettingsError(
                Name.authorizeURL,
                "must be an https URL (http only on localhost), e.g. \(DiscordOAuth2.Application.defaultAuthorizeURL)")
        }
        var adminRoles: Set<String> = []
        for id in (text(Name.backendAdminRoleIDs) ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            guard DiscordSnowflake.isValid(String(id)) else {
                throw SettingsError(Name.backendAdminRoleIDs, "\"\(id.prefix(30))\" is not a Discord role id (17 to 20 digits)")
            }
            adminRoles.insert(String(id))
        }
        var cacheSeconds = 30
        if let raw = text(Name.cacheSeconds) {
            guard let value = Int(raw), (1...60).contains(value) else {
                throw SettingsError(Name.cacheSeconds, "must be a whole number of seconds from 1 to 60 (got \"\(raw)\")")
            }
            cacheSeconds = value
        }
        return MemberSettings(
            application: .init(clientID: clientID, clientSecret: secret, authorizeURL: authorizeURL), botToken: discord.token,
            apiBaseURL: discord.apiBaseURL, allowedGuildIDs: discord.policy.allowedGuildIDs, backendAdminRoleIDs: adminRoles,
            cacheSeconds: cacheSeconds)
    }

    var adminRule: BackendAdminRule { backendAdminRoleIDs.isEmpty ? .managePermissions : .roles(backendAdminRoleIDs) }
}
