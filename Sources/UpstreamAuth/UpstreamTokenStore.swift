import Foundation

/// One member's sign-in at one upstream backend. The tokens are sealed (`SecretSealer`) under the member's key,
/// so the store never holds them in clear.
public struct UpstreamGrant: Sendable, Equatable {
    public var backend: String
    public var userID: String
    public var sealedAccessToken: String
    public var sealedRefreshToken: String?
    public var expiresAt: Date?
    public var scope: String?
    /// The resource indicator the grant was made for: a backend whose URL changed asks again.
    public var resource: String
    public var obtainedAt: Date

    public init(
        backend: String, userID: String, sealedAccessToken: String, sealedRefreshToken: String?, expiresAt: Date?,
        scope: String?, resource: String, obtainedAt: Date
    ) {
        self.backend = backend
        self.userID = userID
        self.sealedAccessToken = sealedAccessToken
        self.sealedRefreshToken = sealedRefreshToken
        self.expiresAt = expiresAt
        self.scope = scope
        self.resource = resource
        self.obtainedAt = obtainedAt
    }
}

/// The client the gateway registered (RFC 7591) at an upstream's authorization server, kept so it registers once.
public struct UpstreamClient: Sendable, Equatable {
    public var backend: String
    public var issuer: String
    public var clientID: String
    /// Sealed under the operator's key.
    public var sealedClientSecret: String?
    public var authMethod: String
    public var registeredAt: Date

    public init(
        backend: String, issuer: String, clientID: String, sealedClientSecret: String?, authMethod: String,
        registeredAt: Date
    ) {
        self.backend = backend
        self.issuer = issuer
        self.clientID = clientID
        self.sealedClientSecret = sealedClientSecret
        self.authMethod = authMethod
        self.registeredAt = registeredAt
    }
}

/// Where upstream sign-ins and registrations are kept.
public protocol UpstreamTokenStore: Sendable {
    func grant(backend: String, userID: String) async throws -> UpstreamGrant?
    /// Inserts or replaces the grant of (backend, user).
    func saveGrant(_ grant: UpstreamGrant) async throws
    func deleteGrant(backend: String, userID: String) async throws
    func grants(userID: String) async throws -> [UpstreamGrant]
    func grantCount(backend: String) async throws -> Int
    /// Every member's sign-in at `backend`, for forgetting a backend that is gone.
    func grants(backend: String) async throws -> [UpstreamGrant]
    /// Everyone who has a sign-in at some upstream.
    func usersWithGrants() async throws -> [String]
    func registeredClient(backend: String) async throws -> UpstreamClient?
    /// Inserts or replaces the backend's registration.
    func saveRegisteredClient(_ client: UpstreamClient) async throws
    func deleteRegisteredClient(backend: String) async throws
}

public actor InMemoryUpstreamTokenStore: UpstreamTokenStore {
    private var grantRows: [String: UpstreamGrant] = [:]
    private var clients: [String: UpstreamClient] = [:]

    public init() {}

    private static func key(_ backend: String, _ userID: String) -> String { backend + "\u{0}" + userID }

    public func grant(backend: String, userID: String) -> UpstreamGrant? { grantRows[Self.key(backend, userID)] }
    public func saveGrant(_ grant: UpstreamGrant) { grantRows[Self.key(grant.backend, grant.userID)] = grant }
    public func deleteGrant(backend: String, userID: String) { grantRows[Self.key(backend, userID)] = nil }

    public func grants(userID: String) -> [UpstreamGrant] {
        grantRows.values.filter { $0.userID == userID }.sorted { $0.backend < $1.backend }
    }

    public func grantCount(backend: String) -> Int { grantRows.values.count { $0.backend == backend } }
    public func grants(backend: String) -> [UpstreamGrant] {
        grantRows.values.filter { $0.backend == backend }.sorted { $0.userID < $1.userID }
    }
    public func usersWithGrants() -> [String] { Set(grantRows.values.map(\.userID)).sorted() }
    public func registeredClient(backend: String) -> UpstreamClient? { clients[backend] }
    public func saveRegisteredClient(_ client: UpstreamClient) { clients[client.backend] = client }
    public func deleteRegisteredClient(backend: String) { clients[backend] = nil }
}
