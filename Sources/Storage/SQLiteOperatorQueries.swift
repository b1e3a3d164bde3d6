import Foundation
import GRDB
import MCPGateway
import OAuthServer
import OperatorPages

extension GatewayDatabase: OperatorQueries {
    /// Every client, the most recently used first.
    public func clientSummaries(now: Date) async throws -> [ClientSummary] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: Self.clientSummarySQL + " ORDER BY COALESCE(c.last_used_at, c.created_at) DESC",
                arguments: [now.timeIntervalSince1970]
            )
            .map(Self.clientSummary)
        }
    }

    public func clientSummary(id: String, now: Date) async throws -> ClientSummary? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: Self.clientSummarySQL + " WHERE c.id = ?", arguments: [now.timeIntervalSince1970, id])
                .map(Self.clientSummary)
        }
    }

    /// Deletes the client with every grant, code and token it holds; it must register and be approved again.
    /// Returns false when there is no such client.
    public func removeClient(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM oauth_clients WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Audit rows matching `query`: newest first, or oldest first after `afterID` (for following).
    public func auditEvents(_ query: AuditQuery) async throws -> [StoredAuditEvent] {
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if let backend = query.backend { conditions.append("backend = ?"); arguments.append(backend.databaseValue) }
        if let tool = query.tool { conditions.append("tool = ?"); arguments.append(tool.databaseValue) }
        if let clientID = query.clientID { conditions.append("client_id = ?"); arguments.append(clientID.databaseValue) }
        if let since = query.since { conditions.append("time >= ?"); arguments.append(since.timeIntervalSince1970.databaseValue) }
        if let afterID = query.afterID { conditions.append("id > ?"); arguments.append(afterID.databaseValue) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let order = query.afterID == nil ? "DESC" : "ASC"
        arguments.append(max(1, query.limit).databaseValue)
        let sql = """
            SELECT id, time, client_id, backend, tool, duration_ms, outcome, detail, arguments, result, upstream_status,
                subject
            FROM audit_events \(filter) ORDER BY id \(order) LIMIT ?
            """
        return try await pool.read { [arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
                StoredAuditEvent(id: $0["id"], event: Self.auditEvent(from: $0))
            }
        }
    }

    static let clientSummarySQL = """
        SELECT c.*,
            (SELECT COUNT(*) FROM oauth_grants g WHERE g.client_id = c.id AND g.revoked_at IS NULL) AS live_grants,
            (SELECT COUNT(*) FROM oauth_tokens t WHERE t.client_id = c.id AND t.kind = 'access'
                AND t.revoked_at IS NULL AND t.expires_at > ?1) AS live_access,
            (SELECT COUNT(*) FROM oauth_tokens t WHERE t.client_id = c.id AND t.kind = 'refresh'
                AND t.revoked_at IS NULL AND t.rotated_at IS NULL AND t.expires_at > ?1) AS live_refresh,
            (SELECT MAX(t.created_at) FROM oauth_tokens t WHERE t.client_id = c.id) AS last_token_at,
            (SELECT GROUP_CONCAT(who, char(10)) FROM (SELECT DISTINCT COALESCE(u.name, g.subject) AS who
                FROM oauth_grants g LEFT JOIN users u ON u.id = g.subject
                WHERE g.client_id = c.id AND g.revoked_at IS NULL ORDER BY who)) AS approved_by
        FROM oauth_clients c
        """

    static func clientSummary(from row: Row) throws -> ClientSummary {
        ClientSummary(
            client: try client(from: row), liveGrants: row["live_grants"], liveAccessTokens: row["live_access"],
            liveRefreshTokens: row["live_refresh"],
            lastTokenAt: (row["last_token_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            approvedBy: ((row["approved_by"] as String?) ?? "").split(separator: "\n").map(String.init))
    }
}
