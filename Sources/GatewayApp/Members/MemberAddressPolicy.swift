import Foundation
import MCPBackends
import MCPCore
import NIOPosix
import OAuthServer
import OutboundHTTP
import Synchronization

/// Where a member's HTTP backend may connect: public addresses only, as for client metadata documents (loopback,
/// link-local, RFC 1918, cloud metadata and other reserved addresses are refused), except hosts the operator names.
struct MemberAddressPolicy: Sendable {
    let allowedHosts: Set<String>

    init(allowedHosts: [String]) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
    }

    /// Where a connection to `url` goes: to a named host as it is (the operator allowed it), to a public address the
    /// host resolved to (pinned: the connection is made to that very address, so no second lookup can steer it to an
    /// internal one), or nowhere, with the reason.
    enum Destination: Sendable, Equatable {
        case allowedHost
        case pinned(host: String, address: String)
        case refused(String)
    }

    func destination(for url: String) async -> Destination {
        guard let host = URLComponents(string: url)?.host?.lowercased(), !host.isEmpty else { return .refused("it has no host") }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if allowedHosts.contains(host) || allowedHosts.contains(bare) { return .allowedHost }
        let addresses: [(address: String, kind: NetworkAddressPolicy.Kind)]
        do {
            addresses = try await NIOThreadPool.singleton.runIfActive { NetworkAddressPolicy.resolve(host: bare) }
        } catch {
            return .refused("\(host) could not be resolved")
        }
        guard let first = addresses.first else { return .refused("\(host) does not resolve") }
        guard addresses.allSatisfy({ $0.kind == .global }) else {
            return .refused(
                "\(host) leads to a private or internal address (the operator can allow it with GATEWAY_MEMBER_PRIVATE_HOSTS)")
        }
        return .pinned(host: bare, address: first.address)
    }

    /// Why `url` may not be reached, or nil when it may: what a definition is checked with.
    func refusal(for url: String) async -> String? {
        if case .refused(let reason) = await destination(for: url) { return reason }
        return nil
    }
}

/// A member's HTTP backend with its own HTTP client, whose every connection goes to the address checked when the
/// backend was made (the host name is kept for TLS). Its connections close with it.
final class PinnedBackend: Backend {
    let inner: any Backend
    let http: OutboundHTTP

    init(_ inner: any Backend, http: OutboundHTTP) {
        self.inner = inner
        self.http = http
    }

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        try await inner.connect(notifications: notifications)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>
    {
        try await inner.send(request, observer: observer)
    }

    func endSession(_ key: String) async { await inner.endSession(key) }

    func shutdown() async {
        await inner.shutdown()
        await http.shutdown()
    }
}

extension MemberAddressPolicy {
    /// What a sandboxed command's proxied network may reach: what a member's backend may (public addresses, and the
    /// hosts the operator allows as private), connected to at the address checked now.
    var egressPolicy: EgressPolicy {
        { host, port in
            let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            switch await destination(for: "http://" + authority) {
            case .allowedHost: return .connect(host: host)
            case .pinned(_, let address): return .connect(host: address)
            case .refused(let reason): return .refused(reason)
            }
        }
    }
}
