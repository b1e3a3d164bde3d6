import Hummingbird
import MCPGateway
import NIOCore
import OAuthServer

/// The request context of every route: the client's address (password throttling) and, behind auth, the access
/// grant.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext, ClientAddressRequestContext,
    AuthenticatedRequestContext, MCPRequestContext
{
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The socket peer, unless a trusted proxy named the client (ForwardedClientMiddleware).
    public var clientAddress: String?
    public var accessGrant: AccessGrant?
    public let channel: (any Channel)?
    public var connectionClosed: EventLoopFuture<Void>? { channel?.closeFuture }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.clientAddress = remoteAddress?.ipAddress
        self.channel = source.channel
    }

    /// Sessions on /mcp belong to the grant that opened them.
    public var principal: String? { accessGrant?.grantID }

    public var clientID: String? { accessGrant?.clientID }

    public var backendSelection: Set<String>? { accessGrant?.backendSelection }
    public var subject: String? { accessGrant?.subject }
}
