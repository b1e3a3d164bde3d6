import HTTPTypes
import Hummingbird
import MCPCore
import Metrics
import Synchronization

/// Counts requests by route, method and status, times them, and counts the ones in progress, as Hummingbird's
/// `MetricsMiddleware` does under the gateway's own names. A response whose body is one known buffer is recorded when
/// it is handed over, since it is written in one go right after; wrapping it as Hummingbird does would turn it into a
/// streamed body written in three. Event streams are recorded when they end.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let handles = RequestMetricHandles()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        let active = handles.active(request.method)
        active.increment()
        do {
            var response = try await next(request, context)
            let metrics = handles.endpoint(context.endpointPath ?? "Unknown", request.method, response.status)
            if response.body.contentLength != nil {
                metrics.record(since: started)
                active.decrement()
            } else {
                let body = response.body
                response.body = ResponseBody { writer in
                    defer {
                        metrics.record(since: started)
                        active.decrement()
                    }
                    try await body.write(writer)
                }
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let metrics = handles.endpoint(context.endpointPath ?? "NotFound", request.method, status)
            metrics.requests.increment()
            metrics.errors.increment()
            active.decrement()
            throw error
        }
    }
}

/// The metric handles of each route, method and status, made once: a lookup per request instead of a factory call.
final class RequestMetricHandles: Sendable {
    struct Endpoint: Sendable {
        let requests: Counter
        let duration: Timer
        let errors: Counter

        func record(since started: ContinuousClock.Instant) {
            requests.increment()
            duration.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        }
    }

    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let endpoints = Mutex<[Key: Endpoint]>([:])
    private let actives = Mutex<[HTTPRequest.Method: Meter]>([:])

    func endpoint(_ route: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Endpoint {
        endpoints.withLock { endpoints in
            let key = Key(route: route, method: method, status: status.code)
            if let known = endpoints[key] { return known }
            let dimensions = [("route", route), ("method", method.rawValue), ("status", String(status.code))]
            let made = Endpoint(
                requests: Counter(label: "mcp_gateway_http_requests_total", dimensions: dimensions),
                duration: Timer(
                    label: "mcp_gateway_http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds),
                errors: Counter(label: "mcp_gateway_http_request_errors_total", dimensions: dimensions))
            endpoints[key] = made
            return made
        }
    }

    func active(_ method: HTTPRequest.Method) -> Meter {
        actives.withLock { actives in
            if let known = actives[method] { return known }
            let made = Meter(label: "mcp_gateway_http_active_requests", dimensions: [("method", method.rawValue)])
            actives[method] = made
            return made
        }
    }
}
