/// A bearer token the gateway holds for one person at one OAuth-protected backend, obtained when that person
/// authorized the gateway there. The transport asks it for the token on every request.
public protocol BackendCredential: Sendable {
    /// The current access token (refreshed first when it is about to expire). Throws `AuthorizationRequired` when
    /// the person has not authorized the gateway at this backend, or no longer has.
    func bearer() async throws -> String

    /// The backend refused `token` (HTTP 401). Returns true when another token is worth a try (a refresh gave a new
    /// one); false when the person must authorize again, which the credential has then recorded.
    func rejected(_ token: String) async -> Bool
}

/// A request could not go to an OAuth-protected backend because the person it is made for has not authorized the
/// gateway there. `url` is the gateway's own page where they do it; it never holds a secret.
public struct AuthorizationRequired: Error, Sendable, CustomStringConvertible {
    public let backend: String
    public let url: String

    public init(backend: String, url: String) {
        self.backend = backend
        self.url = url
    }

    public var description: String {
        "backend \"\(backend)\" needs you to sign in there first: open \(url), then call again"
    }
}

/// A backend without a sign-in answered 401 with an RFC 9728 challenge naming its metadata: it is an OAuth-protected
/// server, which each caller must sign in to as themselves.
public struct OAuthChallenge: Error, Sendable, CustomStringConvertible {
    public let resourceMetadata: String

    public init(resourceMetadata: String) {
        self.resourceMetadata = resourceMetadata
    }

    public var description: String {
        "the backend is OAuth-protected (HTTP 401 naming its metadata at \(resourceMetadata)): each caller signs in there"
    }

    /// The `resource_metadata` parameter of a `WWW-Authenticate: Bearer` challenge (RFC 9728 §5.1).
    public static func metadataURL(inChallenge header: String) -> String? {
        guard let range = header.range(of: "resource_metadata=\"") else { return nil }
        let rest = header[range.upperBound...]
        guard let end = rest.firstIndex(of: "\""), rest.startIndex < end else { return nil }
        return String(rest[..<end])
    }
}
