import Foundation
import MCPBackends
import OAuthServer

/// Everything the gateway is configured with, from flags, the environment, a `.env` file and defaults.
public struct GatewaySettings: Sendable, Equatable {
    public var issuerURL = "http://localhost:4444"
    public var password: String?
    public var passwordHash: String?
    public var accessTokenTTL = 3600
    public var refreshTokenTTL = 2_592_000
    public var refreshReuseGrace = 30
    public var bindAddress = "127.0.0.1"
    public var port = 4444
    /// Where the gateway keeps its state: the default database and the generated first password.
    public var dataDirectory = "./data"
    public var databasePath = "./data/gateway.sqlite"
    /// A folder of page templates that replace the built-in ones; nil serves the built-in pages.
    public var templatesDirectory: String?
    public var allowedOrigins = ["https://claude.ai", "https://claude.com"]
    /// Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; none by default.
    public var trustedProxies: [String] = []
    /// Networks (addresses or CIDR ranges) that may reach `/admin` and `/metrics`; empty allows every address.
    public var operatorNetworks: [String] = []
    public var logLevel = "info"
    /// `text` (one readable line) or `json` (one object per line, for log collectors).
    public var logFormat = "text"
    /// The backends file; nil means `./backends.json` when it exists.
    public var backendsFile: String?
    /// How long a list request waits for backends before answering with what it has.
    public var listTimeoutSeconds = 5
    /// How many tools (prompts, resources) one page of a list answer holds.
    public var listPageSize = 200
    /// How often each backend is checked in the background.
    public var healthIntervalSeconds = 30
    /// How long a stopping server lets calls in flight finish before it cancels them.
    public var shutdownTimeoutSeconds = 15
    /// How long a client may take to send a whole request (headers and body) before its connection is closed.
    public var requestReadTimeoutSeconds = 30
    /// Test-only: Client ID Metadata Documents over http from loopback hosts.
    public var allowLoopbackMetadataDocumentsForTests = false
    /// Sign in with Discord for members; nil when only the operator signs in.
    public var members: MemberSettings?
    /// The key backends' secrets are sealed under (32 bytes, base64); nil: the one in the data directory's `master-key`
    /// file, made on first start.
    public var masterKey: String?
    /// Hosts member backends may reach although they resolve to private addresses (a LAN server, a test's loopback).
    public var memberPrivateHosts: [String] = []
    /// Member backends one user may own.
    public var memberBackendLimit = 20
    /// How long a member backend nobody uses stays connected.
    public var memberBackendIdleSeconds = 600
    /// Where each command backend's sandbox keeps its own files (a directory its user can reach, so not the data
    /// directory).
    public var sandboxDirectory = NSTemporaryDirectory() + "mcp-gateway-sandboxes-\(getuid())"
    /// The host users sandboxes run as, one each, when the gateway runs as root.
    public var sandboxUserIDs: ClosedRange<UInt32> = 200_000...200_999
    /// Sandboxed processes at once, in all and for one owner; past either, the least recently used idle one stops.
    public var sandboxMaxProcesses = 100
    public var sandboxMaxPerOwner = 10
    /// Seconds a sandboxed process may go unused before it is stopped (0: never).
    public var sandboxIdleSeconds = 600
    /// Whether members may define command backends (always sandboxed); only where the sandbox works.
    public var memberCommands = true
    /// Host paths members' command backends may have bound read-only (a shared package cache, a data folder).
    public var sandboxBindablePaths: [String] = []

    public init() {}

    /// The setting names, as read from the environment and `.env`.
    public enum Name {
        public static let issuerURL = "OAUTH_ISSUER_URL"
        public static let password = "OAUTH_PASSWORD"
        public static let passwordHash = "OAUTH_PASSWORD_HASH"
        public static let accessTokenTTL = "OAUTH_ACCESS_TOKEN_TTL"
        public static let refreshTokenTTL = "OAUTH_REFRESH_TOKEN_TTL"
        public static let refreshReuseGrace = "OAUTH_REFRESH_REUSE_GRACE"
        public static let bindAddress = "GATEWAY_BIND_ADDR"
        public static let port = "GATEWAY_PORT"
        public static let dataDirectory = "GATEWAY_DATA_DIR"
        public static let databasePath = "DATABASE_PATH"
        public static let templatesDirectory = "GATEWAY_TEMPLATES_DIR"
        public static let allowedOrigins = "GATEWAY_ALLOWED_ORIGINS"
        public static let trustedProxies = "GATEWAY_TRUSTED_PROXIES"
        public static let operatorNetworks = "GATEWAY_OPERATOR_NETWORKS"
        public static let logLevel = "LOG_LEVEL"
        public static let logFormat = "LOG_FORMAT"
        public static let allowLoopbackMetadataDocumentsForTests = "OAUTH_CIMD_ALLOW_LOOPBACK_FOR_TESTS"
        public static let backendsFile = "BACKENDS_FILE"
        public static let listTimeout = "GATEWAY_LIST_TIMEOUT"
        public static let listPageSize = "GATEWAY_LIST_PAGE_SIZE"
        public static let healthInterval = "BACKEND_HEALTH_INTERVAL"
        public static let shutdownTimeout = "GATEWAY_SHUTDOWN_TIMEOUT"
        public static let requestReadTimeout = "GATEWAY_REQUEST_READ_TIMEOUT"
        public static let masterKey = "GATEWAY_MASTER_KEY"
        public static let memberPrivateHosts = "GATEWAY_MEMBER_PRIVATE_HOSTS"
        public static let memberBackendLimit = "GATEWAY_MEMBER_BACKEND_LIMIT"
        public static let memberBackendIdle = "GATEWAY_MEMBER_BACKEND_IDLE"
        public static let sandboxDirectory = "GATEWAY_SANDBOX_DIR"
        public static let sandboxUserIDs = "GATEWAY_SANDBOX_UIDS"
        public static let memberCommands = "GATEWAY_MEMBER_COMMANDS"
        public static let sandboxMaxProcesses = "GATEWAY_SANDBOX_MAX_PROCESSES"
        public static let sandboxMaxPerOwner = "GATEWAY_SANDBOX_MAX_PER_OWNER"
        public static let sandboxIdle = "GATEWAY_SANDBOX_IDLE"
        public static let sandboxBindablePaths = "GATEWAY_SANDBOX_BINDS"
    }

    /// Reads settings from `values` (later sources already merged over earlier ones by the caller).
    public static func from(_ values: [String: String]) throws(SettingsError) -> GatewaySettings {
        var settings = GatewaySettings()
        func text(_ name: String) -> String? {
            guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        func integer(_ name: String, range: ClosedRange<Int>) throws(SettingsError) -> Int? {
            guard let raw = text(name) else { return nil }
            guard let value = Int(raw), range.contains(value) else {
                throw SettingsError(
                    name, "must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \"\(raw)\")")
            }
            return value
        }
        /// A comma-separated list, blanks dropped.
        func list(_ name: String) -> [String]? {
            text(name).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        settings.password = values[Name.password].flatMap { $0.isEmpty ? nil : $0 }
        settings.passwordHash = text(Name.passwordHash)
        if let value = try integer(Name.accessTokenTTL, range: 1...86_400) { settings.accessTokenTTL = value }
        if let value = try integer(Name.refreshTokenTTL, range: 60...31_536_000) { settings.refreshTokenTTL = value }
        if let value = try integer(Name.refreshReuseGrace, range: 0...600) { settings.refreshReuseGrace = value }
        if let value = text(Name.bindAddress) { settings.bindAddress = value }
        if let value = try integer(Name.port, range: 1...65_535) { settings.port = value }
        // Unset, the issuer is this machine at the port actually served, so a local client's discovery works.
        settings.issuerURL = text(Name.issuerURL) ?? "http://localhost:\(settings.port)"
        if let value = text(Name.dataDirectory) { settings.dataDirectory = value }
        settings.databasePath = text(Name.databasePath) ?? settings.dataDirectory + "/gateway.sqlite"
        settings.templatesDirectory = text(Name.templatesDirectory)
        if let value = list(Name.trustedProxies) { settings.trustedProxies = value }
        if let value = list(Name.operatorNetworks) { settings.operatorNetworks = value }
        if let value = list(Name.allowedOrigins) { settings.allowedOrigins = value }
        settings.backendsFile = text(Name.backendsFile)
        if let value = try integer(Name.listTimeout, range: 1...120) { settings.listTimeoutSeconds = value }
        if let value = try integer(Name.listPageSize, range: 10...10_000) { settings.listPageSize = value }
        if let value = try integer(Name.healthInterval, range: 5...3600) { settings.healthIntervalSeconds = value }
        if let value = try integer(Name.shutdownTimeout, range: 1...600) { settings.shutdownTimeoutSeconds = value }
        if let value = try integer(Name.requestReadTimeout, range: 1...600) { settings.requestReadTimeoutSeconds = value }
        if let value = text(Name.logLevel) { settings.logLevel = value.lowercased() }
        if let value = text(Name.logFormat) { settings.logFormat = value.lowercased() }
        settings.members = try MemberSettings.from(values)
        settings.masterKey = text(Name.masterKey)
        if let value = list(Name.memberPrivateHosts) { settings.memberPrivateHosts = value.map { $0.lowercased() } }
        if let value = try integer(Name.memberBackendLimit, range: 0...1000) { settings.memberBackendLimit = value }
        if let value = try integer(Name.memberBackendIdle, range: 10...86_400) { settings.memberBackendIdleSeconds = value }
        if let value = text(Name.sandboxDirectory) {
            guard value.hasPrefix("/") else { throw SettingsError(Name.sandboxDirectory, "must be an absolute path") }
            settings.sandboxDirectory = value
        }
        if let raw = text(Name.sandboxUserIDs) {
            let bounds = raw.split(separator: "-").map { UInt32($0.trimmingCharacters(in: .whitespaces)) }
            guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low >= 1000, low <= high else {
                throw SettingsError(
                    Name.sandboxUserIDs, "must be a range of unused host user ids such as 200000-200999 (got \"\(raw)\")")
            }
            settings.sandboxUserIDs = low...high
        }
        if let value = try integer(Name.sandboxMaxProcesses, range: 1...10_000) { settings.sandboxMaxProcesses = value }
        if let value = try integer(Name.sandboxMaxPerOwner, range: 1...10_000) { settings.sandboxMaxPerOwner = value }
        if let value = try integer(Name.sandboxIdle, range: 0...86_400) { settings.sandboxIdleSeconds = value }
        if let raw = text(Name.memberCommands) {
            guard let flag = Self.boolean(raw) else { throw SettingsError(Name.memberCommands, "must be true or false") }
            settings.memberCommands = flag
        }
        if let paths = list(Name.sandboxBindablePaths) {
            for path in paths where !path.hasPrefix("/") || path == "/" {
                throw SettingsError(Name.sandboxBindablePaths, "must be absolute paths below / (got \"\(path)\")")
            }
            settings.sandboxBindablePaths = paths
        }
        if let raw = text(Name.allowLoopbackMetadataDocumentsForTests) {
            guard let flag = Self.boolean(raw) else {
                throw SettingsError(Name.allowLoopbackMetadataDocumentsForTests, "must be true or false")
            }
            settings.allowLoopbackMetadataDocumentsForTests = flag
        }
        return settings
    }

    static func boolean(_ raw: String) -> Bool? {
        switch raw.lowercased() {
        case "1", "true", "yes", "on": true
        case "0", "false", "no", "off": false
        default: nil
        }
    }

    /// The issuer with at most one trailing slash removed: metadata must repeat it byte for byte.
    public var normalizedIssuer: String {
        issuerURL.hasSuffix("/") ? String(issuerURL.dropLast()) : issuerURL
    }

    /// Where a generated first password is kept for the operator until they change it or configure one.
    public var initialPasswordFile: String {
        dataDirectory + "/initial-operator-password"
    }

    /// Where a generated master key is kept when `GATEWAY_MASTER_KEY` is not set.
    public var masterKeyFile: String {
        dataDirectory + "/master-key"
    }

    /// Whether the password comes from the settings (`OAUTH_PASSWORD` or `OAUTH_PASSWORD_HASH`), not the database.
    public var passwordIsConfigured: Bool {
        password != nil || passwordHash != nil
    }

    public var bindsLoopbackOnly: Bool {
        RedirectURIPolicy.isLoopbackHost(bindAddress)
    }
}

/// Why the gateway refuses to start; the message names the setting to change.
public struct SettingsError: Error, Equatable, CustomStringConvertible {
    public var setting: String
    public var problem: String

    public init(_ setting: String, _ problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(setting): \(problem)" }
}

extension GatewaySettings {
    var sandboxCaps: CommandSandbox.Caps { CommandSandbox.Caps(total: sandboxMaxProcesses, perOwner: sandboxMaxPerOwner) }
    var sandboxIdle: Duration? { sandboxIdleSeconds == 0 ? nil : .seconds(sandboxIdleSeconds) }
}
