import Foundation

/// The authorization server's state in memory: clients, consent transactions, grants with their codes and tokens, and
/// the operator password hash. For tests, and the reference the store conformance suite holds every engine to; it
/// follows the SQLite store (Storage) in every outcome, including what it keeps and drops of a written value.
///
/// One actor for several protocols because they share rows, as the SQLite tables do: approving consumes a consent
/// transaction, issuing tokens marks their client used, purging a client takes its grants, codes and tokens along.
public actor InMemoryAuthorizationStore {
    struct State {
        var clients: [String: OAuthClient] = [:]
        /// When each client first obtained a token; a client without one may be purged as unused.
        var firstTokenAt: [String: Date] = [:]
        var transactions: [String: ConsentTransaction] = [:]
        var grants: [String: Grant] = [:]
        var codes: [String: AuthorizationCode] = [:]
        var tokens: [String: TokenRecord] = [:]
        var operatorPasswordHash: String?
    }

    var state = State()

    public init() {}

    /// Runs `body` on a copy of the state and keeps the copy only if it returns: a throw midway changes nothing, as a
    /// rolled-back database transaction changes nothing.
    func atomically<Value>(_ body: (inout State) throws -> Value) rethrows -> Value {
        var copy = state
        let result = try body(&copy)
        state = copy
        return result
    }
}

/// What the SQLite store's constraints would refuse (a primary key taken, a row referring to one that is not there).
public enum InMemoryStoreError: Error, Equatable, CustomStringConvertible {
    case duplicateKey(String)
    case missingReference(String)

    public var description: String {
        switch self {
        case .duplicateKey(let key): "a row with key \(key) exists already"
        case .missingReference(let key): "no row \(key) to refer to"
        }
    }
}

extension InMemoryAuthorizationStore: ClientStore {
    public func insertClient(_ client: OAuthClient) throws {
        guard state.clients[client.id] == nil else { throw InMemoryStoreError.duplicateKey(client.id) }
        var stored = client
        stored.lastUsedAt = nil  // the store keeps that itself, from the tokens it issues
        state.clients[client.id] = stored
    }

    /// A known client keeps its kind, secret hash, creation time and use; the document's fields are refreshed.
    public func upsertMetadataDocumentClient(_ client: OAuthClient) throws {
        guard var stored = state.clients[client.id] else { return try insertClient(client) }
        stored.name = client.name
        stored.redirectURIs = client.redirectURIs
        stored.authMethod = client.authMethod
        stored.metadataJSON = client.metadataJSON
        state.clients[client.id] = stored
    }

    public func client(id: String) -> OAuthClient? { state.clients[id] }
}

extension InMemoryAuthorizationStore: OperatorCredentialStore {
    public func operatorPasswordHash() -> String? { state.operatorPasswordHash }

    public func setOperatorPasswordHash(_ hash: String) { state.operatorPasswordHash = hash }
}
