/// An MCP server the gateway fronts: a remote HTTP server, a child process, or an in-process implementation.
///
/// Implementations hide their transport and protocol era: the gateway sends requests with the backend's own
/// (unprefixed) names and gets back results or JSON-RPC errors, whatever the backend speaks underneath.
public protocol Backend: Sendable {
    /// Connects if needed and reports what the backend offers. Called again after a failure to reconnect.
    /// `notifications` receives what the backend sends outside any request (list changes, log messages).
    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription

    /// Sends one request. Returns the backend's result, or the JSON-RPC error it answered with; throws
    /// `BackendError` when the backend could not be asked or did not answer. Cancelling the calling task
    /// abandons the request on the backend too (the POST is aborted, or `notifications/cancelled` is sent).
    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>

    /// A client session ended: release whatever the backend kept for it.
    func endSession(_ key: String) async

    /// Stops the backend for good: closes connections and sessions, terminates child processes.
    func shutdown() async
}

/// A backend run as a process the gateway can replace: one that stopped answering is stopped, and the next
/// `connect` starts a fresh one.
public protocol ReplaceableBackend: Backend {
    /// Stops the running process (its requests in flight fail); `reason` is what they fail with.
    func replace(because reason: String) async
    /// Stopped for want of use: a health check leaves it be (a request starts it again).
    var isResting: Bool { get async }
}

/// What a backend said about itself on connecting.
public struct BackendDescription: Sendable, Equatable {
    public var era: ProtocolEra
    public var serverInfo: JSONValue?
    public var capabilities: JSONValue
    public var instructions: String?

    public init(era: ProtocolEra, serverInfo: JSONValue?, capabilities: JSONValue, instructions: String?) {
        self.era = era
        self.serverInfo = serverInfo
        self.capabilities = capabilities
        self.instructions = instructions
    }
}

/// One request to a backend, in the backend's own names.
public struct BackendRequest: Sendable {
    public var method: String
    /// The request's params without the client's envelope keys; `_meta.progressToken` is kept.
    public var params: JSONValue
    /// What the client declared it can do (elicitation, sampling, roots), passed on to modern backends.
    public var clientCapabilities: JSONValue
    /// The client's handshake session, for backends that keep one session per client session.
    public var sessionKey: String?
    public var timeout: Duration
    /// `Mcp-Param-<Name>` values for a modern backend: the tool's `x-mcp-header` arguments.
    public var parameterHeaders: [String: String] = [:]
    /// On whose behalf the request is made: `operator`, or a member's user id; nil for the gateway's own requests
    /// (health checks, catalog fetches).
    public var subject: String?
    /// The client call this request answers, when a client is waiting: its manager then enforces `timeout` by
    /// stopping the call, and the transport sets no timer of its own.
    public var scope: CallScope?

    public init(
        method: String, params: JSONValue, clientCapabilities: JSONValue = [:], sessionKey: String? = nil,
        timeout: Duration = .seconds(60)
    ) {
        self.method = method
        self.params = params
        self.clientCapabilities = clientCapabilities
        self.sessionKey = sessionKey
        self.timeout = timeout
    }

    /// The progress token the client attached, if any.
    public var progressToken: JSONValue? { params["_meta"]?["progressToken"] }

    /// Runs `operation` within `timeout`: the call's scope already bounds it when there is one, else a timer does.
    public func withinTimeout<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) async throws
        -> Value
    {
        if scope != nil { return try await operation() }
        do {
            return try await withTimeout(timeout, operation)
        } catch is TimeoutExpired {
            throw BackendError.timedOut(timeout)
        }
    }
}

/// A notification, as a backend sent it.
public struct BackendNotification: Sendable, Equatable {
    public var method: String
    public var params: JSONValue?

    public init(method: String, params: JSONValue?) {
        self.method = method
        self.params = params
    }
}

extension BackendNotification {
    /// Not MCP: a backend's own signal that its connection (or process) is gone and it needs `connect` again.
    public static let disconnected = "gateway/backend-disconnected"
}

/// Receives what a backend sends while it works on one request.
public protocol BackendRequestObserver: Sendable {
    /// A notification about the request (`notifications/progress` carries the client's own token again).
    func notification(_ notification: BackendNotification) async
    /// A request from the backend to the client (elicitation, sampling, roots): the client's answer, or an error.
    func serverRequest(method: String, params: JSONValue?) async -> Result<JSONValue, JSONRPC.Failure>
}

/// Why a backend could not answer a request.
public enum BackendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Connection refused, DNS failure, process not running.
    case unreachable(String)
    case timedOut(Duration)
    /// An HTTP status that is not an MCP answer (401, 500, …).
    case httpStatus(Int, String)
    /// The backend answered something that is not MCP.
    case protocolViolation(String)
    /// The backend is stopped for good.
    case shutDown

    public var description: String {
        switch self {
        case .unreachable(let reason): "unreachable: \(reason)"
        case .timedOut(let limit): "no answer within \(limit.secondsDescription)"
        case .httpStatus(let status, let detail): detail.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(detail)"
        case .protocolViolation(let reason): "protocol error: \(reason)"
        case .shutDown: "shut down"
        }
    }
}

extension Duration {
    /// "5 s", "1.5 s", "250 ms": for messages people read.
    public var secondsDescription: String {
        let milliseconds = self.milliseconds
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }
}

/// An observer that drops notifications and refuses server requests: for health checks and catalog fetches.
public struct SilentObserver: BackendRequestObserver {
    public init() {}
    public func notification(_ notification: BackendNotification) async {}
    public func serverRequest(method: String, params: JSONValue?) async -> Result<JSONValue, JSONRPC.Failure> {
        .failure(.init(code: JSONRPC.methodNotFound, message: "The client cannot answer \(method) here"))
    }
}
