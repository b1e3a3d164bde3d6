import Foundation
import HTTPTypes
import Hummingbird

/// Identifies the client at the token and revocation endpoints (RFC 6749 §2.3).
struct ClientAuthenticator: Sendable {
    let clients: any ClientStore

    func authenticate(_ request: Request, form: FormBody) async throws(OAuthError) -> OAuthClient {
        var clientID = form["client_id"]
        var secret = form["client_secret"]
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
            else { throw OAuthError.invalidClient("malformed Basic credentials") }
            let basicID = String(pair[..<colon]).removingPercentEncoding ?? ""
            let basicSecret = String(pair[pair.index(after: colon)...]).removingPercentEncoding ?? ""
            if let formID = clientID, formID != basicID {
                throw OAuthError.invalidRequest("client_id in the body differs from the Basic credentials")
            }
            if secret != nil { throw OAuthError.invalidRequest("use one client authentication method, not two") }
            clientID = basicID
            secret = basicSecret
        }
        guard let clientID, !clientID.isEmpty else { throw OAuthError.invalidRequest("client_id is required") }
        guard let client = try? await clients.client(id: clientID) else {
            throw OAuthError.invalidClient("unknown client")
        }
        if let storedHash = client.secretHash {
            guard let secret, TokenCrypto.constantTimeEquals(TokenCrypto.hash(secret), storedHash) else {
                throw OAuthError.invalidClient("client authentication failed")
            }
        }
        return client
    }
}
