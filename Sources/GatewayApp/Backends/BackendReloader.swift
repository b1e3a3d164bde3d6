import Foundation
import Logging
import MCPBackends
import MCPCore
import MCPGateway
import Metrics
import OutboundHTTP

/// Keeps the running backends in step with their configuration without a restart. The new configuration is read
/// and checked whole first: an invalid one changes nothing and says why (in the log and in `/status`). A valid one
/// is applied one backend at a time: added backends start, removed ones stop once their calls in flight are done,
/// changed ones are replaced (reconnected), and every other backend, with its calls and sessions, is left alone.
actor BackendReloader {
    /// What the last reload did, for `/status`.
    struct Report: Sendable {
        var file: String?
        var loadedAt: Date
        var lastError: String?
    }

    private let settings: GatewaySettings
    /// The variables `${VAR}` references and `MCP_BACKEND_*`/`DISCORD_*` come from, read anew at each reload.
    private let environment: @Sendable () -> [String: String]
    private let registry: BackendRegistry
    private let http: OutboundHTTP
    private let sandbox: CommandSandbox
    private let drain: Duration
    private let logger: Logger
    private var running: [String: BackendFactory.Planned]
    /// The backends file's bytes as last read, so that a poll notices an edit.
    private var fileContent: [UInt8]?
    /// Whether `report.lastError` is the watch's own trouble (the file unreadable), which ends when it reads again.
    private var watchTrouble = false
    private(set) var report: Report
    /// Plain HTTP backends that answered with an OAuth challenge: they run as OAuth backends from then on.
    private var foundOAuth: [String: OAuthChallenge] = [:]

    init(
        settings: GatewaySettings, definitions: [BackendDefinition], environment: @escaping @Sendable () -> [String: String],
        registry: BackendRegistry, http: OutboundHTTP, sandbox: CommandSandbox, drain: Duration, logger: Logger
    ) {
        self.settings = settings
        self.sandbox = sandbox
        self.environment = environment
        self.registry = registry
        self.http = http
        self.drain = drain
        self.logger = logger
        self.running = Dictionary(uniqueKeysWithValues: BackendFactory.plan(definitions).map { ($0.definition.name, $0) })
        let file = Self.filePath(settings)
        self.fileContent = file.flatMap { try? Self.read($0) }
        self.report = Report(file: file, loadedAt: Date(), lastError: nil)
    }

    enum Outcome: Equatable, Sendable {
        case unchanged
        case applied(added: [String], removed: [String], replaced: [String])
        case refused(String)
    }

    /// Reloads when the backends file's content changed since it was last read (a poll's question).
    func reloadIfFileChanged() async {
        let path: String?
        do {
            path = try BackendConfiguration.filePath(settings: settings)
        } catch {
            watchTrouble = true
            return refuse(error.description, trigger: "file watch", quietlyIfRepeated: true)
        }
        guard let path else { return }
        guard let content = try? Self.read(path) else {
            watchTrouble = true
            return refuse(
                "cannot read \(path); the backends stay as they are (to remove them all, write {\"backends\": {}})",
                trigger: "file watch", quietlyIfRepeated: true)
        }
        if watchTrouble {
            watchTrouble = false
            report.lastError = nil
        }
        guard content != fileContent else { return }
        // An editor may be halfway through writing: take the content once it holds still for a moment.
        try? await Task.sleep(for: .milliseconds(200))
        guard (try? Self.read(path)) == content else { return }
        _ = await reload(trigger: "\(path) changed")
    }

    /// Reads the configuration again and applies what changed.
    @discardableResult
    func reload(trigger: String) async -> Outcome {
        let values = environment()
        let path = Self.filePath(settings)
        if let path { fileContent = try? Self.read(path) }
        let planned: [BackendFactory.Planned]
        do {
            planned = BackendFactory.plan(try BackendConfiguration.load(settings: settings, environment: values)).map(
                asOAuthWhereFound)
        } catch {
            refuse(error.description, trigger: trigger, quietlyIfRepeated: false)
            return .refused(error.description)
        }
        let desired = Dictionary(uniqueKeysWithValues: planned.map { ($0.definition.name, $0) })
        let removed = running.keys.filter { desired[$0] == nil }.sorted()
        let replaced = desired.keys.filter { running[$0] != nil && running[$0] != desired[$0] }.sorted()
        let added = desired.keys.filter { running[$0] == nil }.sorted()
        var started: [ManagedBackend] = []
        do {
            for name in added + replaced {
                started.append(
                    try BackendFactory.makeManaged(
                        desired[name]!, http: http, sandbox: sandbox, environment: values, onOAuthChallenge: challengeHook,
                        logger: logger))
            }
        } catch {
            refuse(error.description, trigger: trigger, quietlyIfRepeated: false)
            return .refused(error.description)
        }
        report = Report(file: path, loadedAt: Date(), lastError: nil)
        guard !started.isEmpty || !removed.isEmpty else {
            Counter(label: "mcp_gateway_backend_reloads_total", dimensions: [("outcome", "unchanged")]).increment()
            return .unchanged
        }
        await registry.update(adding: started, removing: Set(removed + replaced), drain: drain)
        running = desired
        Counter(label: "mcp_gateway_backend_reloads_total", dimensions: [("outcome", "applied")]).increment()
        logger.notice(
            "backends reloaded",
            metadata: [
                "trigger": "\(trigger)", "added": "\(added.joined(separator: ","))",
                "removed": "\(removed.joined(separator: ","))", "reconnected": "\(replaced.joined(separator: ","))",
            ])
        return .applied(added: added, removed: removed, replaced: replaced)
    }

    /// What the backends made here report when they answer with an OAuth challenge.
    nonisolated var challengeHook: BackendFactory.ChallengeHook {
        { name, challenge in Task { await self.runAsOAuth(name, challenge) } }
    }

    /// A plain HTTP backend answered 401 naming its OAuth metadata: it is replaced by an OAuth backend of the same
    /// definition, which each caller reaches signed in as themselves.
    func runAsOAuth(_ name: String, _ challenge: OAuthChallenge) async {
        guard foundOAuth[name] == nil, let planned = running[name], planned.definition.oauth == nil else { return }
        foundOAuth[name] = challenge
        logger.notice(
            "backend wants each caller's own sign-in (OAuth): running it as an OAuth backend", metadata: ["backend": "\(name)"])
        await reload(trigger: "backend \(name) answered with an OAuth challenge")
    }

    private func asOAuthWhereFound(_ planned: BackendFactory.Planned) -> BackendFactory.Planned {
        guard let challenge = foundOAuth[planned.definition.name], planned.definition.oauth == nil,
            planned.definition.headers.keys.allSatisfy({ $0.lowercased() != "authorization" }),
            case .streamableHTTP = planned.definition.transport
        else { return planned }
        var planned = planned
        planned.definition.oauth = .init(resourceMetadata: challenge.resourceMetadata)
        return planned
    }

    private func refuse(_ problem: String, trigger: String, quietlyIfRepeated: Bool) {
        let repeated = report.lastError == problem
        report.lastError = problem
        guard !(quietlyIfRepeated && repeated) else { return }
        Counter(label: "mcp_gateway_backend_reloads_total", dimensions: [("outcome", "refused")]).increment()
        logger.error(
            "backends not reloaded, the running ones stay as they are: \(problem)", metadata: ["trigger": "\(trigger)"])
    }

    /// The backends file, if there is one (a refusal to name one is the load's to report).
    private static func filePath(_ settings: GatewaySettings) -> String? {
        (try? BackendConfiguration.filePath(settings: settings)) ?? nil
    }

    private static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
