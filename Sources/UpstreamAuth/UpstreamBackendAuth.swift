import Foundation

/// An OAuth-protected backend: its URL and, when the upstream wants a client made by hand (GitHub-style), that
/// client's id and secret. `name` is its key in the sign-in flow (the connect link, the stored grants): a configured
/// backend's name, or a member backend's id; `displayName` is what people read.
public struct UpstreamBackendAuth: Sendable, Equatable {
    public var name: String
    public var displayName: String
    public var url: String
    public var clientID: String?
    public var clientSecret: String?
    /// Scopes to ask for; the upstream's advertised ones when nil.
    public var scope: String?
    /// Where its protected resource metadata is, when its own 401 challenge said so; else the well-known paths.
    public var resourceMetadata: String?

    public init(
        name: String, displayName: String? = nil, url: String, clientID: String? = nil, clientSecret: String? = nil,
        scope: String? = nil
    ) {
        self.name = name
        self.displayName = displayName ?? name
        self.url = url
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
    }
}

/// Where the OAuth backends come from (the configuration's and the ones members defined), and who may connect each.
public protocol UpstreamBackendDirectory: Sendable {
    /// The OAuth backend under `name`, whoever may use it; nil when there is none now.
    func backend(_ name: String) async -> UpstreamBackendAuth?
    /// The OAuth backends `userID` may connect, or every one for nil.
    func backends(usableBy userID: String?) async -> [UpstreamBackendAuth]
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
