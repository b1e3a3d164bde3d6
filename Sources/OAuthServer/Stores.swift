import Foundation

// The storage the authorization server needs, one protocol per concern. Storage implements them on SQLite.
// Operations that must be atomic take the decision as a closure that runs inside the store's transaction.

public protocol ClientStore: Sendable {
    func insertClient(_ client: OAuthClient) async throws
    /// Inserts or refreshes a client described by a metadata document (its id is its URL).
    func upsertMetadataDocumentClient(_ client: OAuthClient) async throws
    func client(id: String) async throws -> OAuthClient?
}

public protocol ConsentTransactionStore: Sendable {
    func insertTransaction(_ transaction: ConsentTransaction) async throws
    func transaction(id: String) async throws -> ConsentTransaction?
    /// Removes the transaction; returns it if it was still there (so only one caller ever wins).
    func consumeTransaction(id: String) async throws -> ConsentTransaction?
    /// Records that a member sign-in started from this transaction; false when the transaction is gone.
    func startSignIn(transactionID: String, _ signIn: PendingSignIn) async throws -> Bool
    /// Ends the sign-in whose state secret hashes to `stateHash`, once: returns the transaction as it was (with its
    /// sign-in) and clears the sign-in, or nil when there is none with that hash (a replayed or forged callback).
    func finishSignIn(transactionID: String, stateHash: String) async throws -> ConsentTransaction?
    /// Binds the transaction to the member who signed in, with a new CSRF token for the page that now shows.
    func bindSubject(transactionID: String, subject: String, csrfHash: String) async throws -> Bool
}

/// The outcome of exchanging an authorization code or a refresh token for new tokens.
public enum TokenExchange: Sendable {
    case unknown
    /// The code or refresh token was used before (a refresh token: after its grace window):
    /// its grant and every token issued from it are now revoked.
    case replayed
    case rejected(OAuthError)
    case issued([TokenRecord])
}

public struct TokenCounts: Sendable, Equatable {
    public var clients: Int
    public var accessTokens: Int
    public var refreshTokens: Int

    public init(clients: Int, accessTokens: Int, refreshTokens: Int) {
        self.clients = clients
        self.accessTokens = accessTokens
        self.refreshTokens = refreshTokens
    }
}

public struct PurgeSummary: Sendable, Equatable {
    public var tokens: Int
    public var codes: Int
    public var transactions: Int
    public var clients: Int

    public init(tokens: Int = 0, codes: Int = 0, transactions: Int = 0, clients: Int = 0) {
        self.tokens = tokens
        self.codes = codes
        self.transactions = transactions
        self.clients = clients
    }
}

public protocol GrantStore: Sendable {
    /// Creates the grant and its code, atomically with consuming the consent transaction.
    /// Returns false (and writes nothing) when the transaction was already consumed.
    func approve(transactionID: String, grant: Grant, code: AuthorizationCode) async throws -> Bool

    /// Looks the code up, lets `decide` reject it or mint tokens, and stores the outcome, in one transaction
    /// (marking the client as having obtained a token). A code used before revokes its grant.
    func redeemCode(
        hash: String, now: Date,
        decide: @Sendable (AuthorizationCode) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange

    /// Rotates a refresh token in one transaction. A token rotated less than `grace` ago may be exchanged
    /// again (concurrent refreshes); later reuse revokes the family.
    func exchangeRefreshToken(
        hash: String, now: Date, grace: TimeInterval,
        decide: @Sendable (TokenRecord) -> Result<[TokenRecord], OAuthError>
    ) async throws -> TokenExchange

    /// The live access token with this hash, if it is neither expired nor revoked, nor its grant.
    func accessGrant(tokenHash: String, now: Date) async throws -> AccessGrant?

    /// RFC 7009: revokes the token if it belongs to `clientID`; a refresh token takes its whole family along.
    func revoke(tokenHash: String, clientID: String, now: Date) async throws

    func counts(now: Date) async throws -> TokenCounts

    /// Deletes what has expired, and clients that never obtained a token since `unusedClientsBefore`.
    func purge(now: Date, unusedClientsBefore: Date) async throws -> PurgeSummary
}

/// Where the operator password hash lives when the server generated the password itself.
public protocol OperatorCredentialStore: Sendable {
    func operatorPasswordHash() async throws -> String?
    func setOperatorPasswordHash(_ hash: String) async throws
}
