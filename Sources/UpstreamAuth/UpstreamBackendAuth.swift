import Foundation

/// An OAuth-protected backend as the operator configured it: its URL and, when the upstream wants a client made by
/// hand (GitHub-style), that client's id and secret.
public struct UpstreamBackendAuth: Sendable, Equatable {
    public var name: String
    public var url: String
    public var clientID: String?
    public var clientSecret: String?
    /// Scopes to ask for; the upstream's advertised ones when nil.
    public var scope: String?
    /// Kept from members: only the operator connects it.
    public var operatorOnly: Bool
    /// Where its protected resource metadata is, when its own 401 challenge said so; else the well-known paths.
    public var resourceMetadata: String?

    public init(
        name: String, url: String, clientID: String? = nil, clientSecret: String? = nil, scope: String? = nil,
        operatorOnly: Bool = false
    ) {
        self.operatorOnly = operatorOnly
        self.name = name
        self.url = url
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
    }
}

/// The gateway's own addresses in the upstream flow, all under its public URL.
public struct UpstreamAuthURLs: Sendable {
    public var issuer: String

    public init(issuer: String) {
        self.issuer = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
    }

    public static let callbackPath = "/oauth/upstream/callback"
    public static let clientMetadataPath = "/oauth/upstream/client-metadata.json"
    public static let connectPath = "/me/connect"

    /// Where the upstream sends the member's browser back: the one URL to register at a hand-made client.
    public var callback: String { issuer + Self.callbackPath }
    /// The gateway's Client ID Metadata Document, which is also its client id at upstreams that fetch it.
    public var clientMetadata: String { issuer + Self.clientMetadataPath }

    /// The page a member opens to connect `backend`; it holds no secret (it works only in their signed-in browser).
    public func connect(_ backend: String) -> String {
        issuer + Self.connectPath + "?backend=" + (backend.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }
}
