import HTTPTypes
import Hummingbird

/// CORS for browser clients such as MCP Inspector: preflights are answered without authentication, and
/// every response to a cross-origin request exposes the headers a client must read (session id, challenge).
/// Which origins may use `/mcp` at all is the origin check's decision, not this one's.
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    static var allowedHeaders: [String] {
        [
            "Authorization", "Content-Type", "Accept", "Mcp-Protocol-Version", "Mcp-Session-Id", "Last-Event-ID", "Mcp-Method",
            "Mcp-Name",
        ]
    }
    static var exposedHeaders: String { "Mcp-Session-Id, WWW-Authenticate, Mcp-Protocol-Version" }
    static var allowedMethods: String { "GET, POST, DELETE, OPTIONS" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        if request.method == .options {
            var headers: HTTPFields = [.allow: Self.allowedMethods]
            if let origin = request.headers[.origin] {
                headers[.accessControlAllowOrigin] = origin
                headers[.accessControlAllowMethods] = Self.allowedMethods
                headers[.accessControlAllowHeaders] = allowedHeaders(for: request)
                headers[.accessControlMaxAge] = "3600"
                headers[.vary] = "Origin"
            }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if let origin = request.headers[.origin] {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
            response.headers[values: .vary].append("Origin")
        }
        return response
    }

    /// The fixed list, plus any `Mcp-Param-*` headers the preflight asks for (tools define their own).
    private func allowedHeaders(for request: Request) -> String {
        let requested = (request.headers[.accessControlRequestHeaders] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.lowercased().hasPrefix("mcp-param-") }
        return (Self.allowedHeaders + requested).joined(separator: ", ")
    }
}
