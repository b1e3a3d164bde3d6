import HTTPTypes
import Hummingbird
import MCPCore
import NIOCore

/// DNS-rebinding defence: a request whose `Origin` is present and not allowed is refused with 403.
/// Allowed: the gateway's own origin, loopback origins, and the configured list (claude.ai by default).
public struct OriginCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>

    public init(ownOrigin: String, additionalOrigins: [String]) {
        self.allowedOrigins = Set(([ownOrigin] + additionalOrigins).map(Self.normalize))
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let origin = request.headers[.origin], !isAllowed(origin) else {
            return try await next(request, context)
        }
        let failure = JSONRPC.Failure(code: JSONRPC.invalidRequest, message: "Forbidden: origin \(origin) is not allowed")
        return Response(
            status: .forbidden, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: JSONRPC.error(failure).serialized())))
    }

    func isAllowed(_ origin: String) -> Bool {
        let normalized = Self.normalize(origin)
        if allowedOrigins.contains(normalized) { return true }
        // Local tools (MCP Inspector, desktop clients) run on loopback origins with any port.
        guard let schemeEnd = normalized.range(of: "://") else { return false }
        var host = String(normalized[schemeEnd.upperBound...])
        if host.hasPrefix("[") {
            host = String(host.prefix { $0 != "]" }.dropFirst())
            return host == "::1"
        }
        host = String(host.prefix { $0 != ":" })
        return host == "localhost" || host == "127.0.0.1"
    }

    static func normalize(_ origin: String) -> String {
        var value = origin.lowercased()
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }
}
