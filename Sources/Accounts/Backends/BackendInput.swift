/// A backend as the API, `/me` and the command line describe it: everything optional, so that one type serves both
/// creating (where name and url or command are required) and changing (where what is absent stays as it is).
/// Secret values are written here and never read back.
public struct BackendInput: Decodable, Sendable, Equatable {
    public struct ScopeInput: Decodable, Sendable, Equatable {
        /// `user` (the default), `guild`, `channel` or `global`.
        public var kind: String
        public var guildID: String?
        public var roleIDs: [String]?
        public var channelID: String?

        public init(kind: String, guildID: String? = nil, roleIDs: [String]? = nil, channelID: String? = nil) {
            self.kind = kind
            self.guildID = guildID
            self.roleIDs = roleIDs
            self.channelID = channelID
        }

        enum CodingKeys: String, CodingKey {
            case kind
            case guildID = "guild_id"
            case roleIDs = "role_ids"
            case channelID = "channel_id"
        }
    }

    /// A command backend's sandbox: `{"network": "none"|"proxy"|"host", "binds": ["/path"]}`.
    public struct SandboxInput: Decodable, Sendable, Equatable {
        public var network: String?
        public var binds: [String]?

        public init(network: String? = nil, binds: [String]? = nil) {
            self.network = network
            self.binds = binds
        }
    }

    public var name: String?
    public var scope: ScopeInput?
    /// `streamable_http` (the default), `sse` or `stdio`.
    public var transport: String?
    public var url: String?
    public var command: String?
    public var args: [String]?
    /// Header values to set; a null value removes the header.
    public var headers: [String: String?]?
    /// Variables to set (stdio); a null value removes the variable.
    public var env: [String: String?]?
    public var memberHeaders: [String]?
    public var timeoutSeconds: Int?
    /// `oauth`: each member signs in at the upstream and is reached as themselves; `none` turns that off.
    public var auth: String?
    /// The client made by hand at the upstream, when it offers no registration; an empty string removes it.
    public var oauthClientID: String?
    /// That client's secret (written, never read back); an empty string removes it.
    public var oauthClientSecret: String?
    /// The scopes to ask for; an empty string asks for what the upstream advertises.
    public var oauthScope: String?
    public var sandbox: SandboxInput?

    public init(
        name: String? = nil, scope: ScopeInput? = nil, transport: String? = nil, url: String? = nil, command: String? = nil,
        args: [String]? = nil, headers: [String: String?]? = nil, env: [String: String?]? = nil,
        memberHeaders: [String]? = nil, timeoutSeconds: Int? = nil, auth: String? = nil, oauthClientID: String? = nil,
        oauthClientSecret: String? = nil, oauthScope: String? = nil
    ) {
        self.name = name
        self.scope = scope
        self.transport = transport
        self.url = url
        self.command = command
        self.args = args
        self.headers = headers
        self.env = env
        self.memberHeaders = memberHeaders
        self.timeoutSeconds = timeoutSeconds
        self.auth = auth
        self.oauthClientID = oauthClientID
        self.oauthClientSecret = oauthClientSecret
        self.oauthScope = oauthScope
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, scope, transport, url, command, args, headers, env
        case memberHeaders = "member_headers"
        case timeoutSeconds = "timeout_seconds"
        case auth
        case oauthClientID = "oauth_client_id"
        case oauthClientSecret = "oauth_client_secret"
        case oauthScope = "oauth_scope"
        case sandbox
    }

    /// The field names a definition may carry; anything else is refused, so a typo never passes silently.
    public static let fieldNames = Set(CodingKeys.allCases.map(\.rawValue))

    /// Whether this change touches a secret field (which makes whoever changes a shared backend its owner).
    var changesSecrets: Bool { !(headers?.isEmpty ?? true) || !(env?.isEmpty ?? true) || oauthClientSecret != nil }

    /// Whether it sets any of the OAuth fields.
    var changesOAuth: Bool { auth != nil || oauthClientID != nil || oauthClientSecret != nil || oauthScope != nil }
}
