import Foundation
import MCPCore

/// How the gateway identifies itself at an upstream's authorization server.
struct ClientIdentity: Sendable, Equatable {
    enum Source: String, Sendable { case configured, metadataDocument = "client metadata document", registered }

    var id: String
    var secret: String?
    /// `none`, `client_secret_basic` or `client_secret_post`.
    var authMethod: String
    var source: Source
}

/// What a token endpoint handed out.
struct TokenSet: Sendable {
    var accessToken: String
    var refreshToken: String?
    var expiresIn: Int?
    var scope: String?
}

/// The token endpoint's two grants and RFC 7009 revocation, for one upstream.
struct UpstreamTokenEndpoint: Sendable {
    let http: UpstreamHTTP
    let server: UpstreamServer
    let client: ClientIdentity

    func exchange(code: String, verifier: String, redirectURI: String) async throws(UpstreamAuthError) -> TokenSet {
        try await request([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier),
            ("resource", server.resource),
        ])
    }

    func refresh(_ refreshToken: String) async throws(UpstreamAuthError) -> TokenSet {
        try await request([("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("resource", server.resource)])
    }

    /// Best effort: a revocation endpoint that fails leaves the grant to expire there.
    func revoke(_ token: String, hint: String) async {
        guard let endpoint = server.authorizationServer.revocationEndpoint else { return }
        let (pairs, basic) = authenticated([("token", token), ("token_type_hint", hint)])
        _ = try? await http.postForm(endpoint, pairs, basic: basic, what: "the revocation endpoint")
    }

    private func request(_ pairs: [(String, String)]) async throws(UpstreamAuthError) -> TokenSet {
        let (pairs, basic) = authenticated(pairs)
        let answer = try await http.postForm(
            server.authorizationServer.tokenEndpoint, pairs, basic: basic, what: "the token endpoint")
        let json = answer.json
        guard answer.status == 200 else {
            let error = json?["error"]?.stringValue ?? "HTTP \(answer.status)"
            if error == "invalid_grant" { throw .grantRevoked }
            throw .refused(error: error, description: json?["error_description"]?.stringValue.map { String($0.prefix(200)) })
        }
        guard let accessToken = json?["access_token"]?.stringValue, !accessToken.isEmpty,
            json?["token_type"]?.stringValue?.lowercased() == "bearer"
        else {
            throw .unreachable("the token endpoint's answer holds no bearer access token")
        }
        return TokenSet(
            accessToken: accessToken, refreshToken: json?["refresh_token"]?.stringValue,
            expiresIn: Self.seconds(json?["expires_in"]), scope: json?["scope"]?.stringValue)
    }

    private static func seconds(_ value: JSONValue?) -> Int? {
        switch value {
        case .int(let seconds)?: Int(clamping: seconds)
        case .double(let seconds)? where seconds.isFinite && seconds >= 0 && seconds < 1e9: Int(seconds)
        default: nil
        }
    }

    /// The pairs with the client's identity: its id in the body, its secret by the method it uses.
    private func authenticated(_ pairs: [(String, String)]) -> ([(String, String)], (id: String, secret: String)?) {
        var pairs = pairs + [("client_id", client.id)]
        guard let secret = client.secret else { return (pairs, nil) }
        if client.authMethod == "client_secret_post" {
            pairs.append(("client_secret", secret))
            return (pairs, nil)
        }
        return (pairs, (client.id, secret))
    }
}
