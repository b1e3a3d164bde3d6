import Foundation
import MCPGateway
import OAuthServer

/// What `/admin` and the command line ask of the database about clients and the audit trail. Storage implements it.
public protocol OperatorQueries: Sendable {
    /// Every client, the most recently used first.
    func clientSummaries(now: Date) async throws -> [ClientSummary]
    /// Deletes the client with every grant, code and token it holds; false when there is no such client.
    func removeClient(id: String) async throws -> Bool
    /// Audit rows matching `query`: newest first, or oldest first after `afterID` (for following).
    func auditEvents(_ query: AuditQuery) async throws -> [StoredAuditEvent]
}

/// A registered OAuth client as the operator sees it: who, since when, last seen, and what it holds now.
public struct ClientSummary: Sendable, Equatable {
    public var client: OAuthClient
    public var liveGrants: Int
    public var liveAccessTokens: Int
    public var liveRefreshTokens: Int
    /// When it last obtained or refreshed a token.
    public var lastTokenAt: Date?
    /// Who approved its live grants (user names; `operator` for the password).
    public var approvedBy: [String] = []

    public init(
        client: OAuthClient, liveGrants: Int, liveAccessTokens: Int, liveRefreshTokens: Int, lastTokenAt: Date?,
        approvedBy: [String] = []
    ) {
        self.client = client
        self.liveGrants = liveGrants
        self.liveAccessTokens = liveAccessTokens
        self.liveRefreshTokens = liveRefreshTokens
        self.lastTokenAt = lastTokenAt
        self.approvedBy = approvedBy
    }
}

/// An audit row with its position in the table, so that a follower can ask for what came after it.
public struct StoredAuditEvent: Sendable, Equatable {
    public var id: Int64
    public var event: AuditEvent

    public init(id: Int64, event: AuditEvent) {
        self.id = id
        self.event = event
    }
}

public struct AuditQuery: Sendable, Equatable {
    public var backend: String?
    public var tool: String?
    public var clientID: String?
    public var since: Date?
    /// Only rows after this id (for following the table).
    public var afterID: Int64?
    public var limit: Int

    public init(
        backend: String? = nil, tool: String? = nil, clientID: String? = nil, since: Date? = nil, afterID: Int64? = nil,
        limit: Int = 100
    ) {
        self.backend = backend
        self.tool = tool
        self.clientID = clientID
        self.since = since
        self.afterID = afterID
        self.limit = limit
    }
}
