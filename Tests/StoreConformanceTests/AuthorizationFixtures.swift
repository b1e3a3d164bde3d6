import Foundation
import OAuthServer

typealias AuthorizationStores = ClientStore & ConsentTransactionStore & GrantStore & OperatorCredentialStore

let resource = "https://gw.example/mcp"
let redirectURI = "https://app.example/cb"

func oauthClient(_ id: String, createdAt: Date = now, kind: OAuthClient.Kind = .registered) -> OAuthClient {
    OAuthClient(
        id: id, kind: kind, name: "Client \(id)", redirectURIs: [redirectURI, "http://127.0.0.1/cb"], authMethod: .none,
        secretHash: nil, metadataJSON: #"{"client_name":"Client \#(id)"}"#, createdAt: createdAt)
}

func consentTransaction(_ id: String, client: String = "c1", expiresAt: Date = now.addingTimeInterval(600))
    -> ConsentTransaction
{
    ConsentTransaction(
        id: id, csrfHash: "csrf-\(id)", clientID: client, redirectURI: redirectURI, scope: "mcp offline_access",
        state: "st-\(id)", codeChallenge: "challenge-\(id)", resource: resource, expiresAt: expiresAt)
}

func tokenRecords(
    _ access: String, _ refresh: String, grant: String, client: String = "c1", accessLifetime: TimeInterval = 3600,
    refreshLifetime: TimeInterval = 86400
) -> [TokenRecord] {
    [
        TokenRecord(
            tokenHash: access, kind: .access, grantID: grant, clientID: client, scope: "mcp offline_access",
            resource: resource, createdAt: now, expiresAt: now.addingTimeInterval(accessLifetime)),
        TokenRecord(
            tokenHash: refresh, kind: .refresh, grantID: grant, clientID: client, scope: "mcp offline_access",
            resource: resource, createdAt: now, expiresAt: now.addingTimeInterval(refreshLifetime)),
    ]
}

/// A registered client with one approved grant and its unused code (hash `code-<client>`); returns the grant id and
/// the code hash.
@discardableResult
func approvedGrant(
    in store: any AuthorizationStores, client: String = "c1", subject: String = Grant.operatorSubject,
    selection: [String]? = nil, codeLifetime: TimeInterval = 300, insertClient: Bool = true
) async throws -> (grant: String, code: String) {
    if insertClient { try await store.insertClient(oauthClient(client)) }
    let transaction = consentTransaction("tx-\(client)", client: client)
    try await store.insertTransaction(transaction)
    let grant = Grant(
        id: "g-\(client)", clientID: client, scope: "mcp offline_access", resource: resource, createdAt: now,
        subject: subject, selection: selection)
    let code = authorizationCode(client: client, grant: grant.id, lifetime: codeLifetime)
    guard try await store.approve(transactionID: transaction.id, grant: grant, code: code) else {
        throw FixtureFailure(message: "approval of a fresh transaction failed")
    }
    return (grant.id, code.codeHash)
}

func authorizationCode(client: String = "c1", grant: String, lifetime: TimeInterval = 300) -> AuthorizationCode {
    AuthorizationCode(
        codeHash: "code-\(client)", grantID: grant, clientID: client, redirectURI: redirectURI, scope: "mcp offline_access",
        codeChallenge: "challenge", resource: resource, expiresAt: now.addingTimeInterval(lifetime))
}

/// Redeems the code for these tokens, failing the test's setup when the store does not issue them.
func redeem(_ code: String, in store: any AuthorizationStores, for tokens: [TokenRecord], at time: Date = now) async throws {
    guard case .issued = try await store.redeemCode(hash: code, now: time, decide: { _ in .success(tokens) }) else {
        throw FixtureFailure(message: "redeeming \(code) issued nothing")
    }
}

struct FixtureFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension TokenExchange {
    /// The outcome's name, to compare in expectations.
    var label: String {
        switch self {
        case .unknown: "unknown"
        case .replayed: "replayed"
        case .rejected(let error): "rejected:\(error.code)"
        case .issued(let tokens): "issued:" + tokens.map(\.tokenHash).joined(separator: ",")
        }
    }
}
