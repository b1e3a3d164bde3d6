import Foundation

/// RFC 9728: what an OAuth-protected MCP server says about itself.
struct ProtectedResourceMetadata: Decodable {
    var resource: String
    var authorizationServers: [String]?
    var scopesSupported: [String]?

    enum CodingKeys: String, CodingKey {
        case resource
        case authorizationServers = "authorization_servers"
        case scopesSupported = "scopes_supported"
    }
}

/// RFC 8414 (or OpenID Connect discovery): the upstream authorization server's endpoints, the part the gateway uses.
public struct AuthorizationServerMetadata: Codable, Sendable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var registrationEndpoint: String?
    public var revocationEndpoint: String?
    public var codeChallengeMethodsSupported: [String]?
    public var tokenEndpointAuthMethodsSupported: [String]?
    public var clientIDMetadataDocumentSupported: Bool?
    public var scopesSupported: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case registrationEndpoint = "registration_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case clientIDMetadataDocumentSupported = "client_id_metadata_document_supported"
        case scopesSupported = "scopes_supported"
    }

    /// The endpoints the gateway may call or send a browser to, by name, for the address check.
    var endpoints: [(name: String, url: String)] {
        [("authorization_endpoint", authorizationEndpoint), ("token_endpoint", tokenEndpoint)]
            + [("registration_endpoint", registrationEndpoint), ("revocation_endpoint", revocationEndpoint)].compactMap {
                name, url in url.map { (name, $0) }
            }
    }
}

/// An upstream MCP server's authorization, as discovered: where its members sign in and which scopes to ask for.
public struct UpstreamServer: Sendable, Equatable {
    /// The resource indicator (RFC 8707): the backend's URL, as its metadata names it.
    public var resource: String
    public var authorizationServer: AuthorizationServerMetadata
    public var scopes: [String]
}
