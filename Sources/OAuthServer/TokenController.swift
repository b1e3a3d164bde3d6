import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPCore

/// The token endpoint (authorization_code with PKCE, rotating refresh tokens) and RFC 7009 revocation.
public struct TokenController<Context: RequestContext>: Sendable {
    let configuration: OAuthConfiguration
    let clients: any ClientStore
    let grants: any GrantStore
    let now: @Sendable () -> Date

    public init(
        configuration: OAuthConfiguration, clients: any ClientStore, grants: any GrantStore,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configuration = configuration
        self.clients = clients
        self.grants = grants
        self.now = now
    }

    public func addRoutes(to router: some RouterMethods<Context>) {
        for path in ["/oauth/token", "/token"] {
            router.post(RouterPath(path)) { request, context in await token(request, context: context) }
        }
        router.post("/oauth/revoke") { request, context in await revoke(request, context: context) }
    }

    func token(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        var grantType: String?
        do {
            let form = try await readForm(&request)
            grantType = form["grant_type"]
            let response: Response
            switch grantType {
            case "authorization_code":
                let client = try await ClientAuthenticator(clients: clients).authenticate(request, form: form)
                response = try await redeemCode(form: form, client: client, context: context)
            case "refresh_token":
                let client = try await ClientAuthenticator(clients: clients).authenticate(request, form: form)
                response = try await refresh(form: form, client: client, context: context)
            case nil:
                throw OAuthError.invalidRequest("grant_type is required")
            default:
                throw OAuthError.unsupportedGrantType("supported grant types: authorization_code, refresh_token")
            }
            OAuthMetrics.tokenRequest(grantType: grantType, outcome: "issued")
            return response
        } catch let error as OAuthError {
            OAuthMetrics.tokenRequest(grantType: grantType, outcome: error.code)
            context.logger.info("token request refused", metadata: ["error": "\(error.code)"])
            var headers = HTTPFields()
            if error.code == "invalid_client", request.headers[.authorization] != nil {
                headers[.wwwAuthenticate] = "Basic realm=\"mcp-gateway\""
            }
            return OAuthResponses.error(error, headers: headers)
        } catch {
            OAuthMetrics.tokenRequest(grantType: grantType, outcome: "temporarily_unavailable")
            context.logger.error("token endpoint failure", metadata: ["error": "\(error)"])
            return OAuthResponses.error(OAuthError("temporarily_unavailable", "try again", status: .serviceUnavailable))
        }
    }

    private func readForm(_ request: inout Request) async throws -> FormBody {
        guard request.isFormEncoded else {
            throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        let form = FormBody(String(buffer: try await request.collectBody(limit: 16 * 1024)))
        if let repeated = form.repeated.first {
            throw OAuthError.invalidRequest("the parameter \(repeated) appears more than once")
        }
        return form
    }

    private func redeemCode(form: FormBody, client: OAuthClient, context: Context) async throws -> Response {
        guard let code = form["code"] else { throw OAuthError.invalidRequest("code is required") }
        guard let verifier = form["code_verifier"] else { throw OAuthError.invalidRequest("code_verifier is required (PKCE)") }
        let redirectURI = form["redirect_uri"]
        let resource = form["resource"]
        if let resource, !configuration.isThisResource(resource) {
            throw OAuthError.invalidTarget("this server only issues tokens for \(configuration.resource)")
        }
        let issuedAt = now()
        let tokens = TokenPair.generate()
        let configuration = self.configuration
        let outcome = try await grants.redeemCode(hash: TokenCrypto.hash(code), now: issuedAt) { stored in
            guard stored.clientID == client.id else { return .failure(.invalidGrant("the code was issued to another client")) }
            guard stored.expiresAt > issuedAt else { return .failure(.invalidGrant("the code has expired")) }
            guard let redirectURI, redirectURI == stored.redirectURI else {
                return .failure(.invalidGrant("redirect_uri does not match the authorization request"))
            }
            guard PKCE.verify(verifier: verifier, challenge: stored.codeChallenge) else {
                return .failure(.invalidGrant("code_verifier does not match the code_challenge"))
            }
            return .success(tokens.records(continuing: stored, now: issuedAt, configuration: configuration))
        }
        return try respond(
            to: outcome, tokens: tokens, clientID: client.id, context: context,
            unknown: "the code is invalid or has expired",
            replayed: "the code was already used; every token issued from it is revoked")
    }

    private func refresh(form: FormBody, client: OAuthClient, context: Context) async throws -> Response {
        guard let refreshToken = form["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is required") }
        if let resource = form["resource"], !configuration.isThisResource(resource) {
            throw OAuthError.invalidTarget("this server only issues tokens for \(configuration.resource)")
        }
        let requestedScopes = form["scope"].map { Set($0.split(separator: " ").map(String.init)) }
        let issuedAt = now()
        let tokens = TokenPair.generate()
        let configuration = self.configuration
        let outcome = try await grants.exchangeRefreshToken(
            hash: TokenCrypto.hash(refreshToken), now: issuedAt, grace: configuration.refreshReuseGrace
        ) { stored in
            guard stored.clientID == client.id else {
                return .failure(.invalidGrant("the refresh token was issued to another client"))
            }
            let granted = Set(stored.scope.split(separator: " ").map(String.init))
            if let requestedScopes, !requestedScopes.isSubset(of: granted) {
                return .failure(.invalidScope("the requested scope exceeds what was granted"))
            }
            return .success(tokens.records(continuing: stored, now: issuedAt, configuration: configuration))
        }
        return try respond(
            to: outcome, tokens: tokens, clientID: client.id, context: context,
            unknown: "the refresh token is invalid, expired or revoked",
            replayed: "the refresh token was already used; its whole family is revoked")
    }

    private func respond(
        to outcome: TokenExchange, tokens: TokenPair, clientID: String, context: Context, unknown: String, replayed: String
    ) throws(OAuthError) -> Response {
        switch outcome {
        case .unknown:
            throw OAuthError.invalidGrant(unknown)
        case .replayed:
            context.logger.warning("token replay: the grant is revoked", metadata: ["client_id": "\(clientID)"])
            throw OAuthError.invalidGrant(replayed)
        case .rejected(let error):
            throw error
        case .issued(let records):
            return tokens.response(scope: records.first?.scope ?? configuration.defaultScope, configuration: configuration)
        }
    }

    func revoke(_ incoming: Request, context: Context) async -> Response {
        var request = incoming
        do {
            let form = try await readForm(&request)
            let client = try await ClientAuthenticator(clients: clients).authenticate(request, form: form)
            guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
            try await grants.revoke(tokenHash: TokenCrypto.hash(token), clientID: client.id, now: now())
            return OAuthResponses.json([:])
        } catch let error as OAuthError {
            return OAuthResponses.error(error)
        } catch {
            context.logger.error("revocation failure", metadata: ["error": "\(error)"])
            return OAuthResponses.error(OAuthError("temporarily_unavailable", "try again", status: .serviceUnavailable))
        }
    }
}

/// A freshly minted access and refresh token; the plain values leave the server exactly once, in the response.
struct TokenPair: Sendable {
    let accessToken: String
    let refreshToken: String

    static func generate() -> TokenPair {
        TokenPair(accessToken: TokenCrypto.generateToken(), refreshToken: TokenCrypto.generateToken())
    }

    /// The stored form of this pair, in the same grant, for the same client, scope and resource as `predecessor`.
    func records(continuing predecessor: some GrantMember, now: Date, configuration: OAuthConfiguration) -> [TokenRecord] {
        func record(_ token: String, _ kind: TokenKind, lifetime: TimeInterval) -> TokenRecord {
            TokenRecord(
                tokenHash: TokenCrypto.hash(token), kind: kind, grantID: predecessor.grantID, clientID: predecessor.clientID,
                scope: predecessor.scope, resource: predecessor.resource, createdAt: now,
                expiresAt: now.addingTimeInterval(lifetime))
        }
        return [
            record(accessToken, .access, lifetime: configuration.accessTokenTTL),
            record(refreshToken, .refresh, lifetime: configuration.refreshTokenTTL),
        ]
    }

    func response(scope: String, configuration: OAuthConfiguration) -> Response {
        OAuthResponses.json([
            "access_token": .string(accessToken),
            "token_type": "Bearer",
            "expires_in": .int(Int64(configuration.accessTokenTTL)),
            "refresh_token": .string(refreshToken),
            "scope": .string(scope),
        ])
    }
}
