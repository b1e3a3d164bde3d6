import Foundation
import MCPCore
import OutboundHTTP

/// Sign in with Discord, Discord's side: the authorization URL, the code exchange, and who signed in. The member's
/// access token lives for exactly one call (`GET /users/@me`) and is dropped here: it is never stored, returned or logged.
/// Requests go through their own REST client, so a member's rate-limit buckets never mix with the bot's.
public struct DiscordOAuth2: Sendable {
    public struct Application: Sendable, Equatable {
        public var clientID: String
        public var clientSecret: String
        /// Where browsers are sent to authorize (Discord's own page, not under the API).
        public var authorizeURL: String

        public static let defaultAuthorizeURL = "https://discord.com/oauth2/authorize"

        public init(clientID: String, clientSecret: String, authorizeURL: String = Self.defaultAuthorizeURL) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.authorizeURL = authorizeURL
        }
    }

    let application: Application
    let rest: DiscordRESTClient

    public init(application: Application, apiBaseURL: String, http: OutboundHTTP, version: String) {
        self.application = application
        // No bot token travels on these requests; the configuration's is never used (credential .none or .bearer).
        rest = DiscordRESTClient(
            configuration: .init(baseURL: apiBaseURL, botToken: "", version: version, maximumRetries: 1), http: http)
    }

    /// The authorization request: scope `identify` only, PKCE S256, and our `state`; `prompt=none` skips Discord's
    /// screen for a member who authorized the application before.
    public func authorizationURL(state: String, codeChallenge: String, redirectURI: String) -> String {
        var components = URLComponents(string: application.authorizeURL) ?? URLComponents()
        components.queryItems =
            (components.queryItems ?? []) + [
                URLQueryItem(name: "response_type", value: "code"),
                URLQueryItem(name: "client_id", value: application.clientID),
                URLQueryItem(name: "scope", value: "identify"),
                URLQueryItem(name: "redirect_uri", value: redirectURI),
                URLQueryItem(name: "state", value: state),
                URLQueryItem(name: "code_challenge", value: codeChallenge),
                URLQueryItem(name: "code_challenge_method", value: "S256"),
                URLQueryItem(name: "prompt", value: "none"),
            ]
        return components.string ?? application.authorizeURL
    }

    /// Exchanges the code for the member's token, asks who they are, and forgets the token.
    public func identify(code: String, codeVerifier: String, redirectURI: String) async throws(DiscordRESTClient.Failure)
        -> DiscordUserIdentity
    {
        let exchanged = try await rest.send(
            DiscordRoute("POST", "/oauth2/token"),
            body: .form([
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("code_verifier", codeVerifier), ("client_id", application.clientID),
                ("client_secret", application.clientSecret),
            ]), credential: .none, action: "confirm the sign-in")
        guard let token = exchanged.body?["access_token"]?.stringValue, !token.isEmpty else {
            throw DiscordRESTClient.Failure(status: exchanged.status, code: nil, description: "Discord returned no access token")
        }
        let me = try await rest.send(
            DiscordRoute("GET", "/users/@me"), body: nil, credential: .bearer(token), action: "ask who signed in")
        guard let user = me.body, let identity = DiscordUserIdentity(user) else {
            throw DiscordRESTClient.Failure(status: me.status, code: nil, description: "Discord's user object has no id")
        }
        return identity
    }
}

/// Who signed in, as Discord's user object says.
public struct DiscordUserIdentity: Sendable, Equatable {
    public var id: String
    public var username: String
    /// The display name members see, when set.
    public var globalName: String?
    /// The avatar's hash (`cdn.discordapp.com/avatars/<id>/<hash>.png`), when set.
    public var avatar: String?

    public init(id: String, username: String, globalName: String?, avatar: String?) {
        self.id = id
        self.username = username
        self.globalName = globalName
        self.avatar = avatar
    }

    init?(_ user: JSONValue) {
        guard let id = user["id"]?.stringValue, DiscordSnowflake.isValid(id) else { return nil }
        self.init(
            id: id, username: user["username"]?.stringValue ?? id, globalName: user["global_name"]?.stringValue,
            avatar: user["avatar"]?.stringValue)
    }
}
