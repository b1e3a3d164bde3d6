import Foundation
import MCPCore
import NIOPosix
import OAuthServer
import Synchronization

/// Where a member's HTTP backend may connect: public addresses only, as for client metadata documents (loopback,
/// link-local, RFC 1918, cloud metadata and other reserved addresses are refused), except hosts the operator names.
struct MemberAddressPolicy: Sendable {
    let allowedHosts: Set<String>

    init(allowedHosts: [String]) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
    }

    /// Why `url` may not be reached, or nil when it may. Every address its host resolves to must be public.
    func refusal(for url: String) async -> String? {
        guard let host = URLComponents(string: url)?.host?.lowercased(), !host.isEmpty else { return "it has no host" }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if allowedHosts.contains(host) || allowedHosts.contains(bare) { return nil }
        let kinds: [NetworkAddressPolicy.Kind]
        do {
            kinds = try await NIOThreadPool.singleton.runIfActive { NetworkAddressPolicy.resolveAndClassify(host: bare) }
        } catch {
            return "\(host) could not be resolved"
        }
        guard !kinds.isEmpty else { return "\(host) does not resolve" }
        guard kinds.allSatisfy({ $0 == .global }) else {
            return "\(host) leads to a private or internal address (the operator can allow it with GATEWAY_MEMBER_PRIVATE_HOSTS)"
        }
        return nil
    }
}

/// A member's HTTP backend, checked against the address policy every time it connects and again on a request when
/// the last check is older than `recheck`, so a name that starts resolving to an internal address is cut off.
final class AddressCheckedBackend: Backend {
    let inner: any Backend
    let url: String
    let policy: MemberAddressPolicy
    let recheck: Duration
    private let lastCheck = Mutex<ContinuousClock.Instant?>(nil)

    init(_ inner: any Backend, url: String, policy: MemberAddressPolicy, recheck: Duration = .seconds(30)) {
        self.inner = inner
        self.url = url
        self.policy = policy
        self.recheck = recheck
    }

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        try await check(force: true)
        return try await inner.connect(notifications: notifications)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>
    {
        try await check(force: false)
        return try await inner.send(request, observer: observer)
    }

    func endSession(_ key: String) async { await inner.endSession(key) }
    func shutdown() async { await inner.shutdown() }

    private func check(force: Bool) async throws {
        let now = ContinuousClock.now
        if !force, let last = lastCheck.withLock({ $0 }), now - last < recheck { return }
        if let refusal = await policy.refusal(for: url) {
            lastCheck.withLock { $0 = nil }
            throw BackendError.unreachable("refused: \(refusal)")
        }
        lastCheck.withLock { $0 = now }
    }
}
