import Hummingbird
import OAuthServer

/// Keeps the operator's surfaces (`/admin`, `/metrics`) to the networks `GATEWAY_OPERATOR_NETWORKS` names, so a
/// gateway on the public internet (Funnel) shows the world only `/mcp`, discovery and consent. The client address
/// is the one `ForwardedClientMiddleware` settled on, so a trusted proxy's `X-Forwarded-For` counts.
struct OperatorNetworkMiddleware<Context: ClientAddressRequestContext>: RouterMiddleware {
    let allowed: AddressRanges

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard allowed.isEmpty || context.clientAddress.map(allowed.contains) == true else {
            context.logger.notice(
                "operator page refused: address not in GATEWAY_OPERATOR_NETWORKS",
                metadata: ["remote": "\(context.clientAddress ?? "unknown")"])
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: .init(string: "Forbidden: this page is not served to your network.\n")))
        }
        return try await next(request, context)
    }
}
