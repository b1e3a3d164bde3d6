import Foundation
import HTTPTypes
import Hummingbird

/// Addresses (or CIDR ranges) of reverse proxies whose `X-Forwarded-For` is believed: Tailscale Funnel's serve
/// proxy, Caddy, nginx. Without them the header is ignored, since anyone can send it.
public struct TrustedProxies: Sendable, Equatable {
    let ranges: AddressRanges

    public static let none = TrustedProxies(ranges: .init([])!)

    /// `entries` like `127.0.0.1`, `172.16.0.0/12`, `fd7a:115c:a1e0::/48`; nil when one is not an address.
    public init?(_ entries: [String]) {
        guard let ranges = AddressRanges(entries) else { return nil }
        self.ranges = ranges
    }

    private init(ranges: AddressRanges) {
        self.ranges = ranges
    }

    public var isEmpty: Bool { ranges.isEmpty }

    func trusts(_ address: String) -> Bool {
        ranges.contains(address)
    }

    /// The client: the peer itself unless it is a trusted proxy; then, going right to left through
    /// `X-Forwarded-For` (each proxy appends the address it saw), the first address that is not a trusted proxy.
    func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard AddressRanges.bytes(hop) != nil else { break }  // garbage ends the chain we can believe
            client = hop
            if !trusts(hop) { break }
        }
        return client
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
