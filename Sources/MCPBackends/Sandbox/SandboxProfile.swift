/// What a command backend may reach and use inside its sandbox.
public struct SandboxProfile: Sendable, Equatable {
    public enum Network: String, Sendable, CaseIterable {
        /// A network namespace of its own with only loopback: nothing outside is reachable.
        case none
        /// Only through the gateway's egress proxy (HTTP and HTTPS), which refuses private and internal addresses.
        case proxy
        /// The host's network as it is: for the operator's own backends only.
        case host
    }

    public var network: Network
    /// Host paths bound read-only at the same place, beyond the system's own runtime (a uv or npm cache, a
    /// virtual environment).
    public var readOnlyPaths: [String]
    public var limits: SandboxLimits

    public init(network: Network = .none, readOnlyPaths: [String] = [], limits: SandboxLimits = SandboxLimits()) {
        self.network = network
        self.readOnlyPaths = readOnlyPaths
        self.limits = limits
    }
}

/// The limits of one sandboxed process. The kernel enforces the first four (resource limits); the gateway stops a
/// process that writes past the output ones.
public struct SandboxLimits: Sendable, Equatable {
    /// Address space (RLIMIT_AS): an allocation past it fails.
    public var memoryBytes: UInt64 = 2 << 30
    /// CPU time over the process's life (RLIMIT_CPU): past it the process is stopped, and started again on demand.
    public var cpuSeconds: UInt64 = 600
    /// Processes and threads (RLIMIT_NPROC), its own included.
    public var processes: UInt64 = 64
    /// Open file descriptors (RLIMIT_NOFILE).
    public var openFiles: UInt64 = 256
    /// The size of its private `/tmp` and of its home, each.
    public var tmpBytes: UInt64 = 64 << 20
    /// One message on stdout; a longer line stops the process.
    public var messageBytes: Int = 16 << 20
    /// Bytes on stdout in any minute; more stops the process.
    public var outputBytesPerMinute: Int = 256 << 20

    public init() {}
}
