import Hummingbird

/// A request context that knows the client's address as far as it can be trusted: the socket peer, or what a
/// trusted reverse proxy says (the composition root decides). Password throttling is keyed on it.
public protocol ClientAddressRequestContext: RequestContext {
    var clientAddress: String? { get }
}
