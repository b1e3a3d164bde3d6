import MCPCore

/// Who is asking and how to reach them while a request is answered.
public struct ClientCall: Sendable {
    public var era: ProtocolEra
    /// What the client declared it can do: from the modern envelope, or from its `initialize`.
    public var clientCapabilities: JSONValue
    /// The client's handshake session, if it has one.
    public var sessionKey: String?
    /// The OAuth client behind the token, for the audit trail.
    public var clientID: String?
    /// The caller's grant: what the gateway's sealed request state is bound to.
    public var principal: String?
    /// The backends the caller may reach, by name; nil reaches every backend.
    public var backendSelection: Set<String>?
    /// Whose call this is (`operator`, or a member): what decides their member backends.
    public var subject: String?
    /// The backends this caller may reach, once resolved (`GatewayMethods.answer` resolves it when nil).
    public var view: BackendView?
    /// The one task answering this call and what may stop it (client gone, shutdown, the backend's timeout); nil when
    /// no client waits on the call.
    public var scope: CallScope?
    /// Receives the backend's notifications and requests for the client while the request runs.
    public var observer: any BackendRequestObserver

    public init(
        era: ProtocolEra, clientCapabilities: JSONValue, sessionKey: String?, clientID: String?, principal: String? = nil,
        backendSelection: Set<String>? = nil, subject: String? = nil,
        observer: any BackendRequestObserver = SilentObserver()
    ) {
        self.subject = subject
        self.backendSelection = backendSelection
        self.principal = principal
        self.era = era
        self.clientCapabilities = clientCapabilities
        self.sessionKey = sessionKey
        self.clientID = clientID
        self.observer = observer
    }

    /// Whether this caller may reach the backend named `backend`.
    public func mayReach(_ backend: String) -> Bool {
        backendSelection?.contains(backend) ?? true
    }
}
