import Accounts
import Foundation
import Logging
import Storage

/// The backend service as the command line uses it, on the database directly and as the operator: changes go into
/// the audit trail at once, and a running gateway picks them up within seconds (its pool re-reads the definitions).
public struct OperatorBackends: Sendable {
    public let service: MemberBackendService
    let database: GatewayDatabase

    public init(settings: GatewaySettings, database: GatewayDatabase) async throws(SettingsError) {
        let sealer = try await MasterKeySetup.sealer(
            settings: settings, store: database, logger: Logger(label: "mcp-gateway.cli"))
        var limits = MemberBackendLimits()
        limits.backendsPerUser = settings.memberBackendLimit
        service = MemberBackendService(
            store: database, users: database, sealer: sealer, limits: limits, checkURL: { _ in nil },
            onChange: { change in try? await database.append([MemberPlatform.auditEvent(change)]) })
        self.database = database
    }

    /// Owner names by user id, for listings.
    public func ownerNames() async -> [String: String] {
        Dictionary(((try? await database.users()) ?? []).map { ($0.id, $0.name) }) { first, _ in first }
    }
}
