import Hummingbird

/// What the MCP endpoint needs from the request context: who is calling, so sessions stay with their owner.
public protocol MCPRequestContext: RequestContext {
    /// An opaque identity of the caller (the access grant); nil when unauthenticated.
    var principal: String? { get }
    /// The OAuth client the caller's token was issued to, for the audit trail.
    var clientID: String? { get }
}
