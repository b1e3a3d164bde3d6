import Accounts
import Foundation
import MCPCore
import MCPGateway
import OAuthServer

/// What `/admin` shows, as the template's context: backends, clients, and recent tool calls.
struct AdminDashboard {
    let now: Date
    let csrfToken: String
    let backends: [JSONValue]
    let users: [User]
    let memberBackends: [MemberBackend]
    let clients: [ClientSummary]
    let audit: [StoredAuditEvent]
    let filters: AuditQuery
    let notice: String?
    let password: OperatorPasswordState
    /// The OAuth backends and whether the operator has signed in to each: name, connect link, connected.
    var oauthBackends: [(name: String, connectURL: String, connected: Bool)] = []

    static func notice(_ code: String?) -> String? {
        switch code {
        case "revoked": "Revoked the client and every token it held. It must register and be approved again."
        case "no_such_client": "That client no longer exists."
        case "backend_removed": "Removed the backend and every member's credentials for it."
        case "no_such_backend": "That backend no longer exists."
        case "password_changed":
            "Password changed. Every other /admin session is signed out; connected applications keep their access."
        case "password_changed_revoked":
            "Password changed. Every other /admin session is signed out, and every application must be approved again."
        case "password_wrong": "The password was not changed: the current password is wrong."
        case "password_mismatch": "The password was not changed: the two new passwords differ."
        case "password_throttled": "The password was not changed: too many wrong passwords, try again later."
        case "password_too_short": "The password was not changed: \(PasswordChangeError.tooShort)."
        case "password_unchanged": "The password was not changed: \(PasswordChangeError.unchanged)."
        case "password_configured": "The password was not changed: \(PasswordChangeError.configured)."
        case "password_none": "The password was not changed: \(PasswordChangeError.noPassword)."
        default: nil
        }
    }

    static func noticeCode(_ error: PasswordChangeError) -> String {
        switch error {
        case .configured: "configured"
        case .tooShort: "too_short"
        case .unchanged: "unchanged"
        case .wrongPassword: "wrong"
        case .noPassword: "none"
        }
    }

    var context: [String: Any] {
        [
            "csrf_token": csrfToken, "notice": notice ?? "", "has_notice": notice != nil,
            "backends": backends.map(backendRow), "has_backends": !backends.isEmpty,
            "clients": clients.map(clientRow), "has_clients": !clients.isEmpty,
            "members": users.filter { $0.id != User.operatorID }.map(memberRow),
            "has_members": users.contains { $0.id != User.operatorID },
            "member_backends": memberBackends.map(memberBackendRow), "has_member_backends": !memberBackends.isEmpty,
            "audit": audit.map(auditRow), "has_audit": !audit.isEmpty,
            "backend_options": backends.compactMap { $0["name"]?.stringValue }.map { name in
                ["name": name, "selected": name == filters.backend] as [String: Any]
            },
            "filter_tool": filters.tool ?? "", "filter_client": filters.clientID ?? "",
            "filtered": filters.backend != nil || filters.tool != nil || filters.clientID != nil,
            "generated_at": Self.time(now),
            "password_configured": { if case .configured = password { true } else { false } }(),
            "password_generated": { if case .generated = password { true } else { false } }(),
            "password_file": { if case .generated(let file) = password { file } else { "" } }(),
            "minimum_password_length": PasswordHasher.minimumLength,
            "oauth_backends": oauthBackends.map { ["name": $0.name, "connect_url": $0.connectURL, "connected": $0.connected] },
            "has_oauth_backends": !oauthBackends.isEmpty,
        ]
    }

    private func backendRow(_ entry: JSONValue) -> [String: Any] {
        let state = entry["state"]?.stringValue ?? "unknown"
        var tools = "0"
        if case .int(let count)? = entry["tools"] { tools = String(count) }
        var latency = ""
        if case .double(let milliseconds)? = entry["last_latency_ms"] { latency = String(format: "%.0f ms", milliseconds) }
        return [
            "name": entry["name"]?.stringValue ?? "", "prefix": entry["prefix"]?.stringValue ?? "",
            "transport": entry["transport"]?.stringValue ?? "", "state": state, "tools": tools, "latency": latency,
            "last_error": entry["last_error"]?.stringValue ?? "", "has_error": entry["last_error"]?.stringValue != nil,
            "era": entry["protocol_version"]?.stringValue ?? "",
        ]
    }

    private func memberRow(_ user: User) -> [String: Any] {
        [
            "name": user.name, "discord_id": user.discordID ?? "", "first_seen": Self.time(user.firstSeenAt),
            "last_seen": Self.ago(user.lastSeenAt, now: now),
        ]
    }

    private func memberBackendRow(_ backend: MemberBackend) -> [String: Any] {
        let owner = users.first { $0.id == backend.ownerID }?.name ?? backend.ownerID
        let scope: String =
            switch backend.scope {
            case .global: "everyone"
            case .user: "only \(owner)"
            case .guild(let guildID, let roles): roles.isEmpty ? "guild \(guildID)" : "guild \(guildID), \(roles.count) role(s)"
            case .channel(_, let channelID): "channel \(channelID)"
            }
        return [
            "id": backend.id, "name": backend.name, "scope": scope, "owner": owner, "transport": backend.transport.name,
            "location": backend.transport.url ?? "command",
            "secrets": backend.sealedHeaders.count + backend.sealedEnvironment.count,
            "updated": Self.ago(backend.updatedAt, now: now),
        ]
    }

    private func clientRow(_ summary: ClientSummary) -> [String: Any] {
        let lastUse = summary.lastTokenAt ?? summary.client.lastUsedAt
        return [
            "id": summary.client.id, "name": summary.client.name ?? "(no name)",
            "last_used": lastUse.map { Self.ago($0, now: now) } ?? "never",
            "registered": Self.ago(summary.client.createdAt, now: now),
            "tokens": summary.liveAccessTokens + summary.liveRefreshTokens, "grants": summary.liveGrants,
            "approved_by": summary.approvedBy.isEmpty ? "-" : summary.approvedBy.joined(separator: ", "),
            "redirect": summary.client.redirectURIs.first.flatMap { URLComponents(string: $0)?.host } ?? "",
        ]
    }

    private func auditRow(_ row: StoredAuditEvent) -> [String: Any] {
        let event = row.event
        let arguments = event.arguments.count > 160 ? String(event.arguments.prefix(159)) + "…" : event.arguments
        return [
            "time": Self.ago(event.time, now: now), "timestamp": Self.time(event.time), "client": event.clientID ?? "-",
            "who": event.subject ?? "-",
            "backend": event.backend, "tool": event.tool, "outcome": event.outcome.label,
            "detail": event.outcome.detail ?? "", "duration": "\(event.durationMilliseconds) ms", "arguments": arguments,
            "result": event.result ?? "",
        ]
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }

    /// "just now", "4 min ago", "3 h ago", "2 days ago".
    static func ago(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<60: return "just now"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86400) days ago"
        }
    }
}
