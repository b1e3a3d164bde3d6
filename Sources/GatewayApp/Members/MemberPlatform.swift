import Accounts
import DiscordBackend
import Foundation
import Logging
import MCPBackends
import MCPCore
import MCPGateway
import OperatorPages
import OutboundHTTP
import Storage
import Synchronization

/// What members (and the operator's API token) use to bring their own backends: the sealed definitions, the
/// service that changes them under the scope policy, the pool that runs them, and Sign in with Discord.
struct MemberPlatform {
    let service: MemberBackendService
    let pool: MemberBackendPool
    let viewers: ViewerResolver
    let sessions: PageSessions
    let signIn: DiscordMemberSignIn?
    let sealer: SecretSealer

    static func make(
        settings: GatewaySettings, database: GatewayDatabase, registry: BackendRegistry, http: OutboundHTTP,
        sandbox: CommandSandbox, auditor: AuditRecorder, logger: Logger
    ) async throws(SettingsError) -> MemberPlatform {
        let sealer = try await MasterKeySetup.sealer(settings: settings, store: database, logger: logger)
        var accounts: MemberAccounts?
        var signIn: DiscordMemberSignIn?
        if let members = settings.members {
            let directory = MemberDirectory(
                configuration: .init(
                    allowedGuildIDs: members.allowedGuildIDs, adminRule: members.adminRule,
                    ttl: .seconds(members.cacheSeconds)),
                lookups: BotDiscordLookups(settings: members, http: http), logger: logger)
            let memberAccounts = MemberAccounts(users: database, directory: directory)
            accounts = memberAccounts
            signIn = DiscordMemberSignIn(
                oauth: DiscordOAuth2(
                    application: members.application, apiBaseURL: members.apiBaseURL, http: http,
                    version: GatewayVersion.current),
                accounts: memberAccounts)
        }
        var limits = MemberBackendLimits()
        limits.backendsPerUser = settings.memberBackendLimit
        if case .unavailable(let reason) = sandbox.availability { limits.commandsUnavailable = reason }
        limits.membersMayRunCommands = settings.memberCommands
        limits.memberBindablePaths = settings.sandboxBindablePaths
        let addressPolicy = MemberAddressPolicy(allowedHosts: settings.memberPrivateHosts)
        let poolReference = PoolReference()
        let service = MemberBackendService(
            store: database, users: database, sealer: sealer, limits: limits,
            checkURL: { url in await addressPolicy.refusal(for: url) },
            onChange: { change in
                auditor.record(Self.auditEvent(change))
                await poolReference.pool?.changed(change)
            })
        let pool = MemberBackendPool(
            service: service, store: database, accounts: accounts, registry: registry, http: http, sandbox: sandbox,
            addressPolicy: addressPolicy, issuer: settings.normalizedIssuer,
            idle: .seconds(settings.memberBackendIdleSeconds), logger: logger)
        poolReference.pool = pool
        await pool.reload()
        registry.resolveMemberBackends(with: pool)
        let viewers = ViewerResolver(accounts: accounts, channels: { await service.referencedChannels() })
        return MemberPlatform(
            service: service, pool: pool, viewers: viewers, sessions: PageSessions(maximumSessions: 10_000), signIn: signIn,
            sealer: sealer)
    }

    /// A backend change in the audit trail: the backend's name, `backends/<action>`, and who changed which fields.
    static func auditEvent(_ change: BackendChange) -> AuditEvent {
        let arguments: JSONValue = [
            "id": .string(change.backendID), "actor": .string(change.actor), "owner": .string(change.owner),
            "fields": .array(change.fields.map(JSONValue.string)),
        ]
        return AuditEvent(
            time: Date(), clientID: nil, backend: change.name, tool: "backends/" + change.action.rawValue,
            durationMilliseconds: 0, outcome: .ok, arguments: String(decoding: arguments.serialized(), as: UTF8.self),
            subject: change.actor)
    }
}

/// The service tells the pool of changes, and the pool needs the service to open secrets: this breaks the circle.
final class PoolReference: Sendable {
    private let stored = Mutex<MemberBackendPool?>(nil)

    var pool: MemberBackendPool? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
