import HTTPTypes
import Hummingbird
import Mustache

/// Renders the consent and error pages from the Mustache templates (`consent`, `error`).
public struct ConsentPages: Sendable {
    let library: MustacheLibrary

    public static let requiredTemplates = ["consent", "error"]

    public init(library: MustacheLibrary) {
        self.library = library
    }

    struct ConsentView {
        var clientName: String
        var clientID: String
        var isMetadataDocument: Bool
        var redirectHost: String
        var redirectURI: String
        var loopbackOnly: Bool
        var scope: String
        var transactionID: String
        var csrfToken: String
        var errorMessage: String?
        /// "Discord", when members may sign in and nobody has yet.
        var signInProvider: String?
        /// Who signed in, once a member has.
        var member: MemberView?
    }

    struct MemberView {
        var options: ConsentSubjectOptions
    }

    func consent(_ view: ConsentView, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let context: [String: Any] = [
            "client_name": view.clientName,
            "client_id": view.clientID,
            "metadata_document": view.isMetadataDocument,
            "redirect_host": view.redirectHost,
            "redirect_uri": view.redirectURI,
            "loopback_only": view.loopbackOnly,
            "scope": view.scope,
            "transaction_id": view.transactionID,
            "csrf_token": view.csrfToken,
            "error": view.errorMessage ?? "",
            "has_error": view.errorMessage != nil,
            "sign_in_provider": view.signInProvider ?? "",
            "can_sign_in": view.signInProvider != nil,
            "signed_in": view.member != nil,
            "member_name": view.member?.options.displayName ?? "",
            "has_choices": !(view.member?.options.choices.isEmpty ?? true),
            "choices": (view.member?.options.choices ?? []).map { choice -> [String: Any] in
                ["id": choice.id, "title": choice.title, "detail": choice.detail]
            },
        ]
        let body = library.render(context, withTemplate: "consent") ?? "consent page template missing"
        return OAuthResponses.html(body, status: status, extraHeaders: headers)
    }

    public func error(title: String, message: String, status: HTTPResponse.Status = .badRequest, headers: HTTPFields = [:])
        -> Response
    {
        let context: [String: Any] = ["title": title, "message": message, "status": Int(status.code)]
        let body = library.render(context, withTemplate: "error") ?? "\(title): \(message)"
        return OAuthResponses.html(body, status: status, extraHeaders: headers)
    }
}
