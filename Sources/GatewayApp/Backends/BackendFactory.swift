import DiscordBackend
import Foundation
import Logging
import MCPBackends
import MCPCore
import MCPGateway
import OutboundHTTP
import UpstreamAuth

extension BackendDefinition {
    /// Backends that run inside the gateway, whose answers are the gateway's own words.
    var isBuiltIn: Bool {
        if case .discord = transport { return true }
        return false
    }
}

/// Turns configured backends into running ones.
enum BackendFactory {
    /// `onOAuthChallenge` hears of a plain HTTP backend (by name) that answered with an OAuth challenge.
    typealias ChallengeHook = @Sendable (String, OAuthChallenge) -> Void

    static func makeRegistry(
        _ definitions: [BackendDefinition], settings: GatewaySettings, http: OutboundHTTP, sandbox: CommandSandbox,
        environment: [String: String], onOAuthChallenge: ChallengeHook? = nil,
        logger: Logger
    ) throws(SettingsError) -> BackendRegistry {
        var managed: [ManagedBackend] = []
        for planned in plan(definitions) {
            managed.append(
                try makeManaged(
                    planned, http: http, sandbox: sandbox, environment: environment, onOAuthChallenge: onOAuthChallenge,
                    logger: logger))
        }
        return BackendRegistry(backends: managed, listTimeout: .seconds(settings.listTimeoutSeconds))
    }

    /// A backend to run: its definition and the resource URI prefix it gets among the others.
    struct Planned: Equatable {
        var definition: BackendDefinition
        var uriPrefix: String
    }

    /// The enabled backends with their URI prefixes, which depend on the whole set (they must be unique).
    static func plan(_ definitions: [BackendDefinition]) -> [Planned] {
        let enabled = definitions.filter(\.enabled)
        let uriPrefixes = BackendRegistry.uriPrefixes(for: enabled.map { ($0.name, $0.prefix) })
        return enabled.map { Planned(definition: $0, uriPrefix: uriPrefixes[$0.name] ?? $0.prefix) }
    }

    static func makeManaged(
        _ planned: Planned, http: OutboundHTTP, sandbox: CommandSandbox, environment: [String: String],
        onOAuthChallenge: ChallengeHook? = nil, logger: Logger
    ) throws(SettingsError) -> ManagedBackend {
        let definition = planned.definition
        var settings = ManagedBackend.Settings(
            name: definition.name, prefix: definition.prefix, transport: definition.transportName,
            timeout: .seconds(definition.timeoutSeconds),
            toolFilter: ToolFilter(allow: definition.allowedTools, deny: definition.deniedTools),
            auditsResults: definition.isBuiltIn, operatorOnly: definition.operatorOnly)
        if definition.oauth != nil {
            // Each caller gets their own instance (UpstreamBackendPool); this one only holds its place.
            settings.perSubject = true
            return ManagedBackend(
                settings: settings, backend: SignInRequiredBackend(definition: definition, url: UpstreamAuthURLs.connectPath),
                uriPrefix: planned.uriPrefix, logger: logger)
        }
        var backend = try makeBackend(definition, http: http, sandbox: sandbox, environment: environment, logger: logger)
        if let onOAuthChallenge, case .streamableHTTP = definition.transport {
            let name = definition.name
            backend = OAuthChallengeWatch(backend) { challenge in onOAuthChallenge(name, challenge) }
        }
        return ManagedBackend(settings: settings, backend: backend, uriPrefix: planned.uriPrefix, logger: logger)
    }

    static func makeBackend(
        _ definition: BackendDefinition, http: OutboundHTTP, sandbox: CommandSandbox, environment: [String: String],
        logger: Logger
    ) throws(SettingsError) -> any Backend {
        switch definition.transport {
        case .streamableHTTP(let url):
            return StreamableHTTPBackend(
                name: definition.name, url: url, headers: definition.headers, http: http,
                gatewayVersion: GatewayVersion.current, logger: logger)
        case .sse(let url):
            return LegacySSEBackend(
                name: definition.name, url: url, headers: definition.headers, http: http,
                gatewayVersion: GatewayVersion.current, logger: logger)
        case .stdio(let command):
            var sandboxing: StdioBackend.Sandboxing?
            if let profile = command.sandbox {
                if case .unavailable(let reason) = sandbox.availability {
                    throw SettingsError(
                        definition.source,
                        "backend \"\(definition.name)\" is a command, and commands run in a sandbox, which this host "
                            + "cannot make: \(reason). Install bubblewrap, or set \"sandbox\": false for this backend")
                }
                sandboxing = .init(sandbox: sandbox, profile: profile)
            }
            let launch = StdioBackend.Launch(
                command: command.command, arguments: command.arguments,
                environment: childEnvironment(command.environment, gateway: environment),
                workingDirectory: command.workingDirectory)
            let instances = (0..<command.instances).map { _ in
                StdioBackend(
                    name: definition.name, launch: launch, sandboxing: sandboxing, gatewayVersion: GatewayVersion.current,
                    logger: logger)
            }
            return instances.count == 1 ? instances[0] : InstancePool(instances)
        case .discord(let settings):
            return DiscordBackend(
                name: definition.name, settings: settings, http: http, version: GatewayVersion.current)
        }
    }

    /// A child gets a few basic variables of the gateway's environment (never its secrets) plus its own `env`.
    static func childEnvironment(_ configured: [String: String], gateway: [String: String]) -> [String: String] {
        var environment: [String: String] = [:]
        for name in StdioBackend.inheritedVariables {
            if let value = gateway[name] { environment[name] = value }
        }
        environment.merge(configured) { _, configured in configured }
        return environment
    }
}
