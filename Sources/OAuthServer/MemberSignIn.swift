import Foundation

/// A way for people other than the operator to answer the consent page: they sign in with an identity provider
/// (Discord) instead of typing the operator password. The authorization server runs the browser's round trip; the
/// provider says who signed in and whether they may.
public protocol MemberSignIn: Sendable {
    /// Named on the button: "Sign in with \(providerName)".
    var providerName: String { get }
    /// The path of our callback, which the provider's application must list as a redirect URI.
    var callbackPath: String { get }
    /// Where to send the browser to sign in.
    func authorizationURL(state: String, codeChallenge: String, redirectURI: String) -> String
    /// Finishes the sign-in with the provider's code.
    func complete(code: String, codeVerifier: String, redirectURI: String) async -> MemberSignInOutcome
}

public enum MemberSignInOutcome: Sendable, Equatable {
    /// `subject` is who approves: it becomes the grant's.
    case signedIn(subject: String)
    /// They proved who they are, but may not use this server; the message says why, for the page.
    case refused(String)
    /// The provider could not confirm the sign-in; the message says what went wrong, for the page.
    case failed(String)
}

/// What a signed-in subject sees on the consent page: their name, and what they may limit the grant to.
public protocol ConsentOptions: Sendable {
    func options(for subject: String) async -> ConsentSubjectOptions
}

public struct ConsentSubjectOptions: Sendable, Equatable {
    public var displayName: String
    /// Each one a checkbox, all checked at first; a grant is limited to the checked ones.
    public var choices: [ConsentChoice]

    public init(displayName: String, choices: [ConsentChoice]) {
        self.displayName = displayName
        self.choices = choices
    }
}

public struct ConsentChoice: Sendable, Equatable {
    public var id: String
    public var title: String
    public var detail: String

    public init(id: String, title: String, detail: String) {
        self.id = id
        self.title = title
        self.detail = detail
    }
}
