import Foundation
import HTTPTypes
import Hummingbird

/// Refuses a state-changing request (anything but GET, HEAD and OPTIONS) that a browser says came from another site,
/// before its form is read. The forms' CSRF tokens are the first defence; this is the second, and it holds even where
/// a token leaked: `Sec-Fetch-Site` (every current browser sends it) must be `same-origin` or `none` (typed, bookmarked),
/// and `Origin`, when sent, must be this server's own. A request with neither header (curl, old browsers) is left to
/// the CSRF token.
public struct SameOriginFormMiddleware<Context: RequestContext>: RouterMiddleware {
    let ownOrigins: Set<String>
    let render: @Sendable (_ reason: String) -> Response

    /// `ownOrigins`: the issuer's origin (the pages must be opened under it) and any other the operator allows.
    /// `render` makes the page that answers a refused request (403).
    public init(ownOrigins: [String], render: @escaping @Sendable (_ reason: String) -> Response) {
        self.ownOrigins = Set(ownOrigins.compactMap(Self.origin(of:)))
        self.render = render
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard ![.get, .head, .options].contains(request.method), let reason = refusal(request) else {
            return try await next(request, context)
        }
        context.logger.warning("cross-site form post refused", metadata: ["path": "\(request.uri.path)", "reason": "\(reason)"])
        return render(reason)
    }

    /// Why the request is refused, or nil when it may go on.
    func refusal(_ request: Request) -> String? {
        let site = request.headers[.secFetchSite]?.lowercased()
        if let site, site != "same-origin", site != "none" {
            return "the browser reports a \(site) request"
        }
        // Our pages send `Referrer-Policy: no-referrer`, under which browsers post `Origin: null` from our own forms;
        // such a post is vouched for by the browser's `Sec-Fetch-Site`, and refused without it.
        if let origin = request.headers[.origin], !(origin == "null" && site != nil) {
            guard let normalized = Self.origin(of: origin), ownOrigins.contains(normalized) else {
                return "it comes from \(origin.prefix(100))"
            }
        }
        return nil
    }

    /// `scheme://host[:port]`, lower case; nil for `null` and anything that is not an http(s) origin.
    static func origin(of text: String) -> String? {
        var value = text.lowercased().trimmingCharacters(in: .whitespaces)
        while value.hasSuffix("/") { value.removeLast() }
        guard value.hasPrefix("https://") || value.hasPrefix("http://") else { return nil }
        guard let schemeEnd = value.range(of: "://"), !value[schemeEnd.upperBound...].contains("/") else { return nil }
        return value
    }
}

extension HTTPField.Name {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
