import HTTPTypes

/// An OAuth error response (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707).
public struct OAuthError: Error, Sendable, Equatable {
    public var code: String
    public var description: String
    public var status: HTTPResponse.Status

    public init(_ code: String, _ description: String, status: HTTPResponse.Status = .badRequest) {
        self.code = code
        self.description = description
        self.status = status
    }

    public static func invalidRequest(_ description: String) -> OAuthError { .init("invalid_request", description) }
    public static func invalidGrant(_ description: String) -> OAuthError { .init("invalid_grant", description) }
    public static func invalidScope(_ description: String) -> OAuthError { .init("invalid_scope", description) }
    public static func invalidTarget(_ description: String) -> OAuthError { .init("invalid_target", description) }
    public static func invalidClient(_ description: String) -> OAuthError {
        .init("invalid_client", description, status: .unauthorized)
    }
    public static func unsupportedGrantType(_ description: String) -> OAuthError {
        .init("unsupported_grant_type", description)
    }
    public static func invalidRedirectURI(_ description: String) -> OAuthError {
        .init("invalid_redirect_uri", description)
    }
    public static func invalidClientMetadata(_ description: String) -> OAuthError {
        .init("invalid_client_metadata", description)
    }
}
