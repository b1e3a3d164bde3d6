import Foundation

/// How a client proves itself at the token endpoint (RFC 7591 `token_endpoint_auth_method`).
public enum ClientAuthMethod: String, Sendable, Codable, CaseIterable {
    case none
    case clientSecretPost = "client_secret_post"
    case clientSecretBasic = "client_secret_basic"
}

/// A client known to the server: registered (RFC 7591) or described by a metadata document (CIMD).
public struct OAuthClient: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case registered, metadataDocument = "metadata_document" }

    public var id: String
    public var kind: Kind
    public var name: String?
    public var redirectURIs: [String]
    public var authMethod: ClientAuthMethod
    /// SHA-256 of the client secret, for confidential clients.
    public var secretHash: String?
    /// The registration metadata as the client sent it (echoed back, shown to the operator).
    public var metadataJSON: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(
        id: String, kind: Kind, name: String?, redirectURIs: [String], authMethod: ClientAuthMethod,
        secretHash: String?, metadataJSON: String, createdAt: Date, lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.redirectURIs = redirectURIs
        self.authMethod = authMethod
        self.secretHash = secretHash
        self.metadataJSON = metadataJSON
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// What an authorization request asked for, validated, waiting on the consent page.
public struct ConsentTransaction: Sendable, Equatable {
    public var id: String
    /// SHA-256 of the CSRF token embedded in the form.
    public var csrfHash: String
    public var clientID: String
    public var redirectURI: String
    public var scope: String
    public var state: String?
    public var codeChallenge: String
    public var resource: String
    public var expiresAt: Date
    /// Who signed in on the consent page with a member sign-in (Discord); nil until then, and for the operator, who
    /// answers with the password instead.
    public var subject: String?
    /// While a member sign-in is under way: the SHA-256 of the secret half of its `state`, and its PKCE verifier.
    public var signIn: PendingSignIn?

    public init(
        id: String, csrfHash: String, clientID: String, redirectURI: String, scope: String, state: String?,
        codeChallenge: String, resource: String, expiresAt: Date, subject: String? = nil, signIn: PendingSignIn? = nil
    ) {
        self.subject = subject
        self.signIn = signIn
        self.id = id
        self.csrfHash = csrfHash
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scope = scope
        self.state = state
        self.codeChallenge = codeChallenge
        self.resource = resource
        self.expiresAt = expiresAt
    }
}

/// A member sign-in started from a consent page, waiting for the identity provider's callback.
public struct PendingSignIn: Sendable, Equatable {
    public var stateHash: String
    public var codeVerifier: String

    public init(stateHash: String, codeVerifier: String) {
        self.stateHash = stateHash
        self.codeVerifier = codeVerifier
    }
}

/// An issued authorization code, stored by hash, bound to everything the token request must repeat.
public struct AuthorizationCode: Sendable, Equatable {
    public var codeHash: String
    public var grantID: String
    public var clientID: String
    public var redirectURI: String
    public var scope: String
    public var codeChallenge: String
    public var resource: String
    public var expiresAt: Date
    public var usedAt: Date?

    public init(
        codeHash: String, grantID: String, clientID: String, redirectURI: String, scope: String,
        codeChallenge: String, resource: String, expiresAt: Date, usedAt: Date? = nil
    ) {
        self.codeHash = codeHash
        self.grantID = grantID
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scope = scope
        self.codeChallenge = codeChallenge
        self.resource = resource
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// One approval on the consent page: the family of every token issued from it.
public struct Grant: Sendable, Equatable {
    public var id: String
    public var clientID: String
    public var scope: String
    public var resource: String
    public var createdAt: Date
    public var revokedAt: Date?
    /// Whose approval this is: `operator`, or the member who signed in.
    public var subject: String
    /// What the approval was limited to (the resource's choices, by id); nil is everything the subject may reach.
    public var selection: [String]?

    public init(
        id: String, clientID: String, scope: String, resource: String, createdAt: Date, revokedAt: Date? = nil,
        subject: String = Grant.operatorSubject, selection: [String]? = nil
    ) {
        self.subject = subject
        self.selection = selection
        self.id = id
        self.clientID = clientID
        self.scope = scope
        self.resource = resource
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

extension Grant {
    /// The subject of everything the operator approves with the password, and of personal tokens.
    public static let operatorSubject = "operator"
}

public enum TokenKind: String, Sendable, Codable { case access, refresh }

/// An access or refresh token, stored by hash only.
public struct TokenRecord: Sendable, Equatable {
    public var tokenHash: String
    public var kind: TokenKind
    public var grantID: String
    public var clientID: String
    public var scope: String
    public var resource: String
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    /// For refresh tokens: when this token was exchanged for a new one.
    public var rotatedAt: Date?

    public init(
        tokenHash: String, kind: TokenKind, grantID: String, clientID: String, scope: String, resource: String,
        createdAt: Date, expiresAt: Date, revokedAt: Date? = nil, rotatedAt: Date? = nil
    ) {
        self.tokenHash = tokenHash
        self.kind = kind
        self.grantID = grantID
        self.clientID = clientID
        self.scope = scope
        self.resource = resource
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.rotatedAt = rotatedAt
    }
}

/// The identity a valid access token carries into a protected request.
public struct AccessGrant: Sendable, Equatable {
    public var clientID: String
    public var grantID: String
    public var scopes: Set<String>
    public var resource: String
    public var expiresAt: Date
    /// The backends this grant may reach, by name; nil reaches every backend.
    public var backendSelection: Set<String>?
    /// Whose grant this is (`operator`, or a member).
    public var subject: String

    public init(
        clientID: String, grantID: String, scopes: Set<String>, resource: String, expiresAt: Date,
        backendSelection: Set<String>? = nil, subject: String = Grant.operatorSubject
    ) {
        self.subject = subject
        self.clientID = clientID
        self.grantID = grantID
        self.scopes = scopes
        self.resource = resource
        self.expiresAt = expiresAt
        self.backendSelection = backendSelection
    }
}

/// What codes and tokens share: the grant they belong to and what it allows.
public protocol GrantMember {
    var grantID: String { get }
    var clientID: String { get }
    var scope: String { get }
    var resource: String { get }
}

extension AuthorizationCode: GrantMember {}
extension TokenRecord: GrantMember {}
