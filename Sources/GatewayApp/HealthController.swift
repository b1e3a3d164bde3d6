import Foundation
import Hummingbird
import MCPBackends
import MCPCore
import MCPGateway
import NIOCore
import OAuthServer
import UpstreamAuth

/// `/health` (liveness, public) and `/status` (Bearer: version, uptime, clients and live tokens).
struct HealthController<Context: AuthenticatedRequestContext>: Sendable {
    let grants: any GrantStore
    let registry: BackendRegistry
    let reloader: BackendReloader
    let members: MemberBackendPool
    let upstream: UpstreamAuthorizations
    let sandbox: CommandSandbox
    let startedAt: Date

    func addPublicRoutes(to router: some RouterMethods<Context>) {
        router.get("/health") { _, _ in Self.json(["status": "ok"]) }
    }

    func addProtectedRoutes(to router: some RouterMethods<Context>) {
        router.get("/status") { _, context in
            let now = Date()
            let counts = try await grants.counts(now: now)
            return Self.json([
                "version": .string(GatewayVersion.current),
                "uptime_seconds": .int(Int64(now.timeIntervalSince(startedAt))),
                "started_at": .string(Timestamp.string(startedAt)),
                "clients": .int(Int64(counts.clients)),
                "tokens": ["access": .int(Int64(counts.accessTokens)), "refresh": .int(Int64(counts.refreshTokens))],
                "caller": ["client_id": .string(context.accessGrant?.clientID ?? "")],
                "backends": .array(await registry.status()),
                "configuration": await configuration(),
                "member_backends": await memberBackends(detailed: context.accessGrant?.subject == Grant.operatorSubject),
                "oauth_backends": await oauthBackends(caller: context.accessGrant?.subject),
                "sandbox": await sandbox.status(),
            ])
        }
    }

    /// Each OAuth backend the caller may use: how many members signed in there, and whether the caller has (else
    /// where they do it).
    private func oauthBackends(caller: String?) async -> JSONValue {
        .array(await upstream.status(for: caller))
    }

    /// Where the backends come from and whether the last reload took: an invalid edit shows here until fixed.
    private func configuration() async -> JSONValue {
        let report = await reloader.report
        return [
            "backends_file": report.file.map(JSONValue.string) ?? .null,
            "loaded_at": .string(Timestamp.string(report.loadedAt)),
            "last_error": report.lastError.map(JSONValue.string) ?? .null,
        ]
    }

    /// How many member backends are defined and connected; the operator also sees which are unusable and why (a
    /// member does not: the ids of other members' backends are theirs).
    private func memberBackends(detailed: Bool) async -> JSONValue {
        let status = await members.status()
        var value: [String: JSONValue] = [
            "defined": .int(Int64(status.defined)), "connected": .int(Int64(status.running)),
            "unusable": .int(Int64(status.unusable.count)),
        ]
        if detailed {
            value["unusable_backends"] = .array(
                status.unusable.sorted { $0.key < $1.key }.map { ["id": .string($0.key), "reason": .string($0.value)] })
        }
        return .object(value)
    }

    static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(data: value.serialized())))
    }
}

public enum GatewayVersion {
    public static let current = "0.1.0"
}
