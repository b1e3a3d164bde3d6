/// How much one user may define: the operator's limits on member backends.
public struct MemberBackendLimits: Sendable, Equatable {
    /// Backends one user may own.
    public var backendsPerUser = 20
    public var headersPerBackend = 20
    public var memberHeadersPerBackend = 10
    public var variablesPerBackend = 50
    public var valueLength = 4096
    public var urlLength = 2048
    /// Why no command (stdio) backend can be defined here (the host cannot make their sandboxes); nil when it can.
    public var commandsUnavailable: String?
    /// Whether members (not only the operator) may define command backends; theirs always run sandboxed.
    public var membersMayRunCommands = false
    /// Host paths (and what is below them) a member's command backend may have bound read-only in its sandbox.
    public var memberBindablePaths: [String] = []

    public init() {}
}
