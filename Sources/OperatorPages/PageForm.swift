import Hummingbird
import OAuthServer

/// Reading the pages' form posts: url-encoded, of bounded size, no field twice; and the session's CSRF token in them.
enum PageForm {
    /// The posted form, or nil when it is not a form, too large, or repeats a field.
    static func read(_ request: inout Request, limit: Int) async -> FormBody? {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true,
            let body = try? await request.collectBody(upTo: limit)
        else { return nil }
        let form = FormBody(String(buffer: body))
        return form.repeated.isEmpty ? form : nil
    }
}

extension PageSessions.Session {
    /// Whether `form` carries this session's CSRF token.
    func isCarried(by form: FormBody) -> Bool {
        guard let posted = form["csrf_token"] else { return false }
        return TokenCrypto.constantTimeEquals(posted, csrfToken)
    }
}
