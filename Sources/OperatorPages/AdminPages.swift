import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the operator pages from `templates/admin_login.mustache` and `templates/admin.mustache`.
public struct AdminPages: Sendable {
    public static let requiredTemplates = ["admin_login", "admin"]
    let library: MustacheLibrary

    public init(library: MustacheLibrary) {
        self.library = library
    }

    func login(
        csrfToken: String, error: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:]
    ) -> Response {
        let context: [String: Any] = [
            "csrf_token": csrfToken, "error": error ?? "", "has_error": error != nil, "notice": notice ?? "",
            "has_notice": notice != nil,
        ]
        return html(
            library.render(context, withTemplate: "admin_login") ?? "login template missing", status: status, headers: headers)
    }

    func dashboard(_ context: [String: Any]) -> Response {
        html(library.render(context, withTemplate: "admin") ?? "admin template missing", status: .ok, headers: [:])
    }

    func html(_ body: String, status: HTTPResponse.Status, headers: HTTPFields) -> Response {
        PageResponses.html(body, status: status, headers: headers)
    }

    static func seeOther(_ location: String, headers: HTTPFields = [:]) -> Response {
        PageResponses.seeOther(location, headers: headers)
    }
}
