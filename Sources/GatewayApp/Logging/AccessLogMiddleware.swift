import HTTPTypes
import Hummingbird
import Logging
import MCPCore
import OAuthServer

/// One log line per request (method, path without the query, status, duration) under the request's id, and the
/// id in an `X-Request-Id` response header, so that a user's report can be matched with the log.
/// Health checks and scrapes log at debug: they come every few seconds and say nothing new.
struct AccessLogMiddleware<Context: ClientAddressRequestContext>: RouterMiddleware {
    static var requestIDHeader: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
    static var quietPaths: Set<String> { ["/health", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        let path = request.uri.path
        do {
            var response = try await next(request, context)
            response.headers[Self.requestIDHeader] = context.id
            log(request, path: path, status: response.status.code, since: started, context: context)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, path: path, status: status, since: started, context: context)
            throw error
        }
    }

    private func log(_ request: Request, path: String, status: Int, since started: ContinuousClock.Instant, context: Context) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.fractionalMilliseconds
        context.logger.log(
            level: Self.quietPaths.contains(path) ? .debug : .info, "\(request.method) \(path) \(status)",
            metadata: [
                "status": "\(status)", "duration_ms": .string(String(format: "%.1f", milliseconds)),
                "client": .string(context.clientAddress ?? "-"),
            ])
    }
}
