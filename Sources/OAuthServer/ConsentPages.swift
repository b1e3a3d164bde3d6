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
