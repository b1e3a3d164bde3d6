import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the operator pages from `templates/admin_login.mustache` and `templates/admin.mustache`.
struct AdminPages: Sendable {
    static let requiredTemplates = ["admin_login", "admin"]
    let library: MustacheLibrary

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

    /// The operator pages post only to themselves, embed nothing and are never cached or framed.
    func html(_ body: String, status: HTTPResponse.Status, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[HTTPField.Name("X-Frame-Options")!] = "DENY"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        fields[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func seeOther(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: fields)
    }
}
