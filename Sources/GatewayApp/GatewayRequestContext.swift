import Hummingbird
import MCPGateway
import NIOCore
import OAuthServer

/// The request context of every route: the peer address (consent throttling) and, behind auth, the access grant.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext, AuthenticatedRequestContext,
    MCPRequestContext
{
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var accessGrant: AccessGrant?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Sessions on /mcp belong to the grant that opened them.
    public var principal: String? { accessGrant?.grantID }

    public var clientID: String? { accessGrant?.clientID }
}
