import DiscordBackend
import MCPBackends
import MCPCore

/// One backend as configured: where it is, how to reach it, and what of it to expose.
public struct BackendDefinition: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        /// Streamable HTTP: one endpoint taking POSTs, answering JSON or an event stream.
        case streamableHTTP(url: String)
        /// The 2024-11-05 HTTP+SSE transport: a GET event stream that names the endpoint to POST to.
        case sse(url: String)
        /// A child process speaking newline-delimited JSON-RPC on stdin and stdout.
        case stdio(StdioCommand)
        /// The built-in Discord backend, with its own settings.
        case discord(DiscordBackendSettings)
    }

    public struct StdioCommand: Sendable, Equatable {
        public var command: String
        public var arguments: [String]
        /// Variables set for the child on top of a minimal inherited environment.
        public var environment: [String: String]
        public var workingDirectory: String?
        /// The sandbox it runs in; nil when the operator turned it off for this backend.
        public var sandbox: SandboxProfile? = SandboxProfile()
        /// Processes of it run side by side, each call going to the least busy.
        public var instances = 1
    }

    public var name: String
    public var prefix: String
    public var transport: Transport
    /// Sent with every HTTP request to the backend (its own credentials; never the client's token).
    public var headers: [String: String]
    public var timeoutSeconds: Int
    public var enabled: Bool
    /// Glob patterns over the backend's own tool names; empty allows all.
    public var allowedTools: [String]
    public var deniedTools: [String]
    /// Where it was configured: the file, or the environment variable.
    public var source: String
    /// Kept from members who sign in with Discord: only the operator's grants and tokens reach it.
    public var operatorOnly = false
    /// An OAuth-protected upstream: each caller signs in there and is connected as themselves.
    public var oauth: OAuth?

    public struct OAuth: Sendable, Equatable {
        /// A client the operator registered at the upstream by hand, for upstreams without dynamic registration.
        public var clientID: String?
        public var clientSecret: String?
        public var scope: String?
        /// Where its protected resource metadata is, when its 401 challenge named it.
        public var resourceMetadata: String?
    }

    public static let defaultTimeoutSeconds = 60

    public var transportName: String {
        switch transport {
        case .streamableHTTP: "streamable-http"
        case .sse: "sse"
        case .stdio: "stdio"
        case .discord: "discord"
        }
    }
}
