import Foundation
import HTTPTypes
import Hummingbird
import MCPCore

/// The resource-server side: checks `Authorization: Bearer` and answers 401/403 with the RFC 9728 challenge.
public struct BearerAuthenticator: Sendable {
    let configuration: OAuthConfiguration
    let grants: any GrantStore
    let personalTokens: (any PersonalTokenStore)?
    let now: @Sendable () -> Date

    public init(
        configuration: OAuthConfiguration, grants: any GrantStore, personalTokens: (any PersonalTokenStore)? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configuration = configuration
        self.grants = grants
        self.personalTokens = personalTokens
        self.now = now
    }

    public enum Outcome: Sendable {
        case granted(AccessGrant)
        case refused(Response)
    }

    /// Validates the request's bearer token: it must carry one of `acceptedScopes` (the first is the one asked
    /// for in a challenge; nil accepts the configuration's default scope).
    public func authenticate(_ request: Request, acceptedScopes: [String]? = nil) async -> Outcome {
        let acceptedScopes = acceptedScopes ?? [configuration.defaultScope]
        if request.uri.queryParameters["access_token"] != nil {
            return .refused(
                challenge(
                    status: .unauthorized, error: "invalid_token", description: "tokens in the query string are not accepted"))
        }
        guard let header = request.headers[.authorization] else {
            return .refused(challenge(status: .unauthorized, error: nil, description: nil))
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            return .refused(challenge(status: .unauthorized, error: "invalid_request", description: "use the Bearer scheme"))
        }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        let requiredScope = acceptedScopes.first ?? configuration.defaultScope
        guard !token.isEmpty, token.utf8.count <= 512, let grant = await grant(for: token) else {
            return .refused(
                challenge(
                    status: .unauthorized, error: "invalid_token", description: "the access token is invalid, expired or revoked",
                    scope: requiredScope))
        }
        guard !grant.scopes.isDisjoint(with: acceptedScopes) else {
            return .refused(
                challenge(
                    status: .forbidden, error: "insufficient_scope", description: "this needs the \(requiredScope) scope",
                    scope: requiredScope))
        }
        return .granted(grant)
    }

    /// The grant behind a live OAuth access token for this resource, or behind a live personal token.
    private func grant(for token: String) async -> AccessGrant? {
        let hash = TokenCrypto.hash(token)
        if PersonalTokens.isPersonal(token) {
            guard let personal = try? await personalTokens?.usePersonalToken(hash: hash, now: now()) else { return nil }
            return AccessGrant(
                clientID: "token:\(personal.name)", grantID: "personal:\(personal.id)", scopes: personal.scopes,
                resource: "", expiresAt: personal.expiresAt ?? .distantFuture, backendSelection: personal.backends.map(Set.init))
        }
        guard let grant = try? await grants.accessGrant(tokenHash: hash, now: now()), configuration.isThisResource(grant.resource)
        else { return nil }
        return grant
    }

    public func challenge(
        status: HTTPResponse.Status, error: String?, description: String?, scope: String? = nil
    ) -> Response {
        var parameters: [String] = []
        if let error { parameters.append("error=\"\(error)\"") }
        if let description { parameters.append("error_description=\"\(description)\"") }
        parameters.append("resource_metadata=\"\(configuration.protectedResourceMetadataURL)\"")
        parameters.append("scope=\"\(scope ?? configuration.defaultScope)\"")
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer " + parameters.joined(separator: ", ")
        var body: JSONValue = ["error": .string(error ?? "invalid_token")]
        if let description { body = ["error": .string(error ?? "invalid_token"), "error_description": .string(description)] }
        if error == nil { body = ["error": "unauthorized", "error_description": "a Bearer access token is required"] }
        return OAuthResponses.json(body, status: status, headers: headers)
    }
}

/// Puts a protected route group behind `BearerAuthenticator`; the grant travels in the context.
public struct BearerAuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let authenticator: BearerAuthenticator
    let acceptedScopes: [String]?

    /// `acceptedScopes` nil: the authorization server's default scope.
    public init(authenticator: BearerAuthenticator, acceptedScopes: [String]? = nil) {
        self.authenticator = authenticator
        self.acceptedScopes = acceptedScopes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        switch await authenticator.authenticate(request, acceptedScopes: acceptedScopes) {
        case .refused(let response):
            return response
        case .granted(let grant):
            var context = context
            context.accessGrant = grant
            return try await next(request, context)
        }
    }
}

/// A request context that can carry the caller's access grant.
public protocol AuthenticatedRequestContext: RequestContext {
    var accessGrant: AccessGrant? { get set }
}
