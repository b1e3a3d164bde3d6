import Accounts
import Foundation
import MCPCore
import UpstreamAuth

/// A member backend as the API and the pages show it: secret values only as "set".
struct BackendDocument: Encodable, Sendable {
    struct Scope: Encodable, Sendable {
        var kind: String
        var guildID: String?
        var roleIDs: [String]?
        var channelID: String?

        enum CodingKeys: String, CodingKey {
            case kind
            case guildID = "guild_id"
            case roleIDs = "role_ids"
            case channelID = "channel_id"
        }
    }

    struct Owner: Encodable, Sendable {
        var id: String
        var name: String
    }

    var id: String
    var name: String
    var scope: Scope
    var transport: String
    var url: String?
    var command: String?
    var args: [String]?
    /// A command backend's sandbox: its network and the host paths it sees.
    var sandbox: Sandbox?

    struct Sandbox: Encodable, Sendable {
        var network: String
        var binds: [String]
    }
    var headers: [String: String]
    var env: [String: String]
    var memberHeaders: [String]
    /// The caller's own values of the member headers: "set" or "not set".
    var myCredentials: [String: String]
    var owner: Owner
    var canManage: Bool
    var timeoutSeconds: Int
    /// `oauth` when each member signs in at the upstream; `none` otherwise.
    var auth: String
    var oauthClientID: String?
    /// "set" when a client secret is stored.
    var oauthClientSecret: String?
    var oauthScope: String?
    /// An OAuth backend's page where the caller connects it.
    var connectURL: String?
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, scope, transport, url, command, args, sandbox, headers, env, owner
        case memberHeaders = "member_headers"
        case myCredentials = "my_credentials"
        case canManage = "can_manage"
        case timeoutSeconds = "timeout_seconds"
        case auth
        case oauthClientID = "oauth_client_id"
        case oauthClientSecret = "oauth_client_secret"
        case oauthScope = "oauth_scope"
        case connectURL = "connect_url"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ backend: MemberBackend, ownerName: String, viewer: Viewer, credentialsSet: Set<String>, issuer: String) {
        id = backend.id
        name = backend.name
        switch backend.scope {
        case .global: scope = Scope(kind: "global")
        case .user: scope = Scope(kind: "user")
        case .guild(let guildID, let roleIDs): scope = Scope(kind: "guild", guildID: guildID, roleIDs: roleIDs)
        case .channel(let guildID, let channelID): scope = Scope(kind: "channel", guildID: guildID, channelID: channelID)
        }
        transport = backend.transport.name
        url = backend.transport.url
        if case .stdio(let command, let arguments) = backend.transport {
            self.command = command
            args = arguments
            sandbox = Sandbox(network: backend.commandAccess.network, binds: backend.commandAccess.binds)
        }
        headers = Dictionary(uniqueKeysWithValues: backend.sealedHeaders.keys.map { ($0, "set") })
        env = Dictionary(uniqueKeysWithValues: backend.sealedEnvironment.keys.map { ($0, "set") })
        memberHeaders = backend.memberHeaders
        myCredentials = Dictionary(
            uniqueKeysWithValues: backend.memberHeaders.map { ($0, credentialsSet.contains($0) ? "set" : "not set") })
        owner = Owner(id: backend.ownerID, name: ownerName)
        canManage = ScopePolicy.mayManage(backend.scope, viewer: viewer)
        timeoutSeconds = backend.timeoutSeconds
        auth = backend.oauth == nil ? "none" : "oauth"
        if let oauth = backend.oauth {
            oauthClientID = oauth.clientID
            oauthClientSecret = oauth.sealedClientSecret == nil ? nil : "set"
            oauthScope = oauth.scope
            connectURL = UpstreamAuthURLs(issuer: issuer).connect(backend.id)
        }
        createdAt = Timestamp.string(backend.createdAt)
        updatedAt = Timestamp.string(backend.updatedAt)
    }
}
