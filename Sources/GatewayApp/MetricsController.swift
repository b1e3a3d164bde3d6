import Foundation
import Hummingbird
import MCPCore
import MCPGateway
import NIOCore
import OAuthServer
import Prometheus

/// `GET /metrics` in Prometheus' text format. What is a state rather than an event (backends, live tokens, the
/// process) is read when scraped; everything else was recorded as it happened.
struct MetricsController<Context: AuthenticatedRequestContext>: Sendable {
    let registry: PrometheusCollectorRegistry
    let backends: BackendRegistry
    let grants: any GrantStore
    let startedAt: Date

    func addRoutes(to router: some RouterMethods<Context>) {
        router.get("/metrics") { _, _ in
            await refreshStates()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    private func refreshStates() async {
        for entry in await backends.status() {
            let name = entry["name"]?.stringValue ?? ""
            let current = entry["state"]?.stringValue ?? ""
            for state in ["starting", "up", "degraded", "down"] {
                registry.makeGauge(name: "mcp_gateway_backend_state", labels: [("backend", name), ("state", state)])
                    .set(to: state == current ? 1 : 0)
            }
            if case .int(let tools)? = entry["tools"] {
                registry.makeGauge(name: "mcp_gateway_backend_tools", labels: [("backend", name)]).set(to: Double(tools))
            }
        }
        if let counts = try? await grants.counts(now: Date()) {
            registry.makeGauge(name: "mcp_gateway_oauth_clients").set(to: Double(counts.clients))
            registry.makeGauge(name: "mcp_gateway_oauth_live_tokens", labels: [("kind", "access")]).set(
                to: Double(counts.accessTokens))
            registry.makeGauge(name: "mcp_gateway_oauth_live_tokens", labels: [("kind", "refresh")])
                .set(to: Double(counts.refreshTokens))
        }
        registry.makeGauge(name: "process_start_time_seconds").set(to: startedAt.timeIntervalSince1970)
        if let resident = Self.residentMemoryBytes() {
            registry.makeGauge(name: "process_resident_memory_bytes").set(to: Double(resident))
        }
    }

    /// Resident set size from /proc (Linux); nil elsewhere.
    static func residentMemoryBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
