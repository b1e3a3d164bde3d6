import Foundation
import HTTPTypes
import Hummingbird

/// Addresses (or CIDR ranges) of reverse proxies whose `X-Forwarded-For` is believed: Tailscale Funnel's serve
/// proxy, Caddy, nginx. Without them the header is ignored, since anyone can send it.
public struct TrustedProxies: Sendable, Equatable {
    struct Range: Sendable, Equatable {
        let bytes: [UInt8]
        let prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefixLength
            for (ours, theirs) in zip(bytes, address) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if ours & mask != theirs & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let ranges: [Range]

    public static let none = TrustedProxies(ranges: [])

    /// `entries` like `127.0.0.1`, `172.16.0.0/12`, `fd7a:115c:a1e0::/48`; nil when one is not an address.
    public init?(_ entries: [String]) {
        var ranges: [Range] = []
        for entry in entries {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let bytes = Self.bytes(parts[0]) else { return nil }
            let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let prefix, (0...(bytes.count * 8)).contains(prefix) else { return nil }
            ranges.append(Range(bytes: bytes, prefixLength: prefix))
        }
        self.ranges = ranges
    }

    private init(ranges: [Range]) {
        self.ranges = ranges
    }

    public var isEmpty: Bool { ranges.isEmpty }

    func trusts(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client: the peer itself unless it is a trusted proxy; then, going right to left through
    /// `X-Forwarded-For` (each proxy appends the address it saw), the first address that is not a trusted proxy.
    func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard Self.bytes(hop) != nil else { break }  // garbage ends the chain we can believe
            client = hop
            if !trusts(hop) { break }
        }
        return client
    }

    /// An IPv4 or IPv6 address as its 4 or 16 bytes (an IPv4-mapped IPv6 address as its IPv4 bytes).
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}

/// Puts the client's address in the context: the peer, or the client a trusted proxy forwarded for.
struct ForwardedClientMiddleware<Context: RequestContext & ClientAddressSettable>: RouterMiddleware {
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard !proxies.isEmpty else { return try await next(request, context) }
        var context = context
        let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!]
        context.clientAddress = proxies.clientAddress(peer: context.clientAddress, forwardedFor: forwarded)
        return try await next(request, context)
    }
}

protocol ClientAddressSettable {
    var clientAddress: String? { get set }
}

extension GatewayRequestContext: ClientAddressSettable {}
