import Hummingbird
import MCPCore

/// RFC 9728 protected-resource metadata and RFC 8414 authorization-server metadata.
public struct MetadataController<Context: RequestContext>: Sendable {
    let configuration: OAuthConfiguration

    public init(configuration: OAuthConfiguration) {
        self.configuration = configuration
    }

    public func addRoutes(to router: some RouterMethods<Context>) {
        let resourceMetadata = protectedResourceMetadata
        let serverMetadata = authorizationServerMetadata
        for path in [configuration.protectedResourceMetadataPath, "/.well-known/oauth-protected-resource"] {
            router.get(RouterPath(path)) { _, _ in Self.publicJSON(resourceMetadata) }
        }
        for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
            router.get(RouterPath(path)) { _, _ in Self.publicJSON(serverMetadata) }
        }
    }

    var protectedResourceMetadata: JSONValue {
        [
            "resource": .string(configuration.resource),
            "authorization_servers": [.string(configuration.issuer)],
            "scopes_supported": .array(configuration.scopes.map(JSONValue.string)),
            "bearer_methods_supported": ["header"],
            "resource_name": .string(configuration.resourceName),
        ]
    }

    var authorizationServerMetadata: JSONValue {
        [
            "issuer": .string(configuration.issuer),
            "authorization_endpoint": .string(configuration.authorizationEndpoint),
            "token_endpoint": .string(configuration.tokenEndpoint),
            "registration_endpoint": .string(configuration.registrationEndpoint),
            "revocation_endpoint": .string(configuration.revocationEndpoint),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "scopes_supported": .array(configuration.scopes.map(JSONValue.string)),
            "authorization_response_iss_parameter_supported": true,
            "client_id_metadata_document_supported": true,
        ]
    }

    /// Metadata is public and changes only with the configuration: cacheable for a few minutes.
    static func publicJSON(_ value: JSONValue) -> Response {
        var response = OAuthResponses.json(value)
        response.headers[.cacheControl] = "public, max-age=300"
        response.headers[.pragma] = nil
        return response
    }
}
