import Foundation

/// A backend defined through the gateway (the API, `/me`, `/admin`, the command line) rather than its configuration:
/// owned by a user, visible by its scope. Its secrets are sealed under the owner's key; the row's id and the field name
/// are the associated data, so a sealed value cannot be moved to another backend or field.
public struct MemberBackend: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        case streamableHTTP(url: String)
        case sse(url: String)
        case stdio(command: String, arguments: [String])

        public var name: String {
            switch self {
            case .streamableHTTP: "streamable_http"
            case .sse: "sse"
            case .stdio: "stdio"
            }
        }

        public var url: String? {
            switch self {
            case .streamableHTTP(let url), .sse(let url): url
            case .stdio: nil
            }
        }
    }

    /// A backend each member reaches as themselves by signing in at its OAuth authorization server: the client the
    /// gateway uses there, when the upstream wants one made by hand, and the scopes to ask for.
    public struct OAuth: Sendable, Equatable, Codable {
        public var clientID: String?
        /// Sealed under the owner's key, like the headers.
        public var sealedClientSecret: String?
        /// Scopes to ask for; the upstream's advertised ones when nil.
        public var scope: String?

        public init(clientID: String? = nil, sealedClientSecret: String? = nil, scope: String? = nil) {
            self.clientID = clientID
            self.sealedClientSecret = sealedClientSecret
            self.scope = scope
        }

        enum CodingKeys: String, CodingKey {
            case clientID = "client_id"
            case sealedClientSecret = "sealed_client_secret"
            case scope
        }
    }

    /// What a command backend's sandbox lets it reach: its network (`none`, `proxy`, or the operator's `host`) and
    /// host paths it sees read-only.
    public struct CommandAccess: Sendable, Equatable, Codable {
        public var network: String
        public var binds: [String]

        public init(network: String = "none", binds: [String] = []) {
            self.network = network
            self.binds = binds
        }
    }

    public var id: String
    public var ownerID: String
    public var scope: BackendScope
    /// Its tools' prefix; unique within its scope (two members may each have a `github`).
    public var name: String
    public var transport: Transport
    /// Header name → sealed value.
    public var sealedHeaders: [String: String]
    /// Variable → sealed value (stdio).
    public var sealedEnvironment: [String: String]
    /// Headers every member who uses it fills in with their own value (their API key), sealed under their own key.
    public var memberHeaders: [String]
    public var timeoutSeconds: Int
    /// Set when each member signs in at the upstream instead; nil for a backend that carries its own secrets.
    public var oauth: OAuth?
    /// A command backend's sandbox; unused by the others.
    public var commandAccess = CommandAccess()
    public var createdAt: Date
    public var updatedAt: Date
    /// Who made the last change.
    public var updatedBy: String

    public init(
        id: String, ownerID: String, scope: BackendScope, name: String, transport: Transport,
        sealedHeaders: [String: String] = [:], sealedEnvironment: [String: String] = [:], memberHeaders: [String] = [],
        timeoutSeconds: Int = 60, oauth: OAuth? = nil, createdAt: Date, updatedAt: Date, updatedBy: String
    ) {
        self.id = id
        self.ownerID = ownerID
        self.scope = scope
        self.name = name
        self.transport = transport
        self.sealedHeaders = sealedHeaders
        self.sealedEnvironment = sealedEnvironment
        self.memberHeaders = memberHeaders
        self.timeoutSeconds = timeoutSeconds
        self.oauth = oauth
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// A new backend id: "b" and 20 random base32 characters (100 bits), so ids cannot be guessed.
    public static func newID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return "b" + String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// What a sealed value of this backend is bound to.
    public func sealContext(header name: String) -> SealContext { SealContext(rowID: id, field: "header:" + name.lowercased()) }
    public func sealContext(environment name: String) -> SealContext { SealContext(rowID: id, field: "env:" + name) }
    public var sealContextOAuthClientSecret: SealContext { SealContext(rowID: id, field: "oauth:client_secret") }
    /// A member's own value of a member header: bound to the member too.
    public func sealContext(memberHeader name: String, userID: String) -> SealContext {
        SealContext(rowID: id + "/" + userID, field: "member-header:" + name.lowercased())
    }

    /// The key its scope's names are unique under.
    public var nameScopeKey: String {
        switch scope {
        case .global: "global"
        case .guild(let guildID, _): "guild:" + guildID
        case .channel(_, let channelID): "channel:" + channelID
        case .user(let ownerID): "user:" + ownerID
        }
    }

    /// Channels its visibility depends on.
    public var referencedChannel: String? {
        if case .channel(_, let channelID) = scope { return channelID }
        return nil
    }
}
