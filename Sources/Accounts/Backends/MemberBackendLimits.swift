/// How much one user may define: the operator's limits on member backends.
public struct MemberBackendLimits: Sendable, Equatable {
    /// Backends one user may own.
    public var backendsPerUser = 20
    public var headersPerBackend = 20
    public var memberHeadersPerBackend = 10
    public var variablesPerBackend = 50
    public var valueLength = 4096
    public var urlLength = 2048
    /// Whether members (not only the operator) may define command (stdio) backends. Off until they run sandboxed.
    public var membersMayRunCommands = false

    public init() {}
}
