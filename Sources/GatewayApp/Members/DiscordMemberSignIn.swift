import Accounts
import DiscordBackend
import OAuthServer

/// Sign in with Discord on the consent page: Discord confirms who signed in, the bot confirms they belong to an
/// allowed guild, and their user row is kept. Their Discord token never leaves `DiscordOAuth2`.
struct DiscordMemberSignIn: MemberSignIn {
    let oauth: DiscordOAuth2
    let accounts: MemberAccounts

    var providerName: String { "Discord" }
    var callbackPath: String { "/oauth/discord/callback" }

    func authorizationURL(state: String, codeChallenge: String, redirectURI: String) -> String {
        oauth.authorizationURL(state: state, codeChallenge: codeChallenge, redirectURI: redirectURI)
    }

    func complete(code: String, codeVerifier: String, redirectURI: String) async -> MemberSignInOutcome {
        let identity: DiscordUserIdentity
        do {
            identity = try await oauth.identify(code: code, codeVerifier: codeVerifier, redirectURI: redirectURI)
        } catch {
            return .failed("Discord did not confirm the sign-in: \(error.description)")
        }
        do {
            switch try await accounts.signIn(
                discordID: identity.id, username: identity.username, displayName: identity.globalName, avatar: identity.avatar)
            {
            case .signedIn(let user): return .signedIn(subject: user.id)
            case .refused(let message): return .refused(message)
            }
        } catch {
            return .failed("The server could not record the sign-in; try again.")
        }
    }
}
