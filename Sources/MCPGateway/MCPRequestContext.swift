import Hummingbird
import NIOCore

/// What the MCP endpoint needs from the request context: who is calling, so sessions stay with their owner.
public protocol MCPRequestContext: RequestContext {
    /// An opaque identity of the caller (the access grant); nil when unauthenticated.
    var principal: String? { get }
    /// The OAuth client the caller's token was issued to, for the audit trail.
    var clientID: String? { get }
    /// The backends the caller may reach, by name; nil reaches every backend.
    var backendSelection: Set<String>? { get }
    /// Whose grant the caller holds (`operator`, or a member); nil when unauthenticated.
    var subject: String? { get }
    /// Completes when the client's connection closes, so that a long-lived event stream (GET, subscriptions/listen)
    /// ends as soon as its reader has gone rather than at its next keep-alive write.
    var connectionClosed: EventLoopFuture<Void>? { get }
    /// The client's connection: a call stops when it closes, and the call's timers run on its event loop.
    var channel: (any Channel)? { get }
}

extension MCPRequestContext {
    public var connectionClosed: EventLoopFuture<Void>? { nil }
    public var channel: (any Channel)? { nil }
    public var backendSelection: Set<String>? { nil }
    public var subject: String? { nil }
}
