import AsyncHTTPClient
import DiscordBackend
import Foundation
import Logging
import MCPBackends
import MCPCore
import MCPGateway

extension BackendDefinition {
    var needsHTTPClient: Bool {
        switch transport {
        case .streamableHTTP, .sse, .discord: enabled
        case .stdio: false
        }
    }
}

extension BackendDefinition {
    /// Backends that run inside the gateway, whose answers are the gateway's own words.
    var isBuiltIn: Bool {
        if case .discord = transport { return true }
        return false
    }
}

/// Turns configured backends into running ones.
enum BackendFactory {
    static func makeRegistry(
        _ definitions: [BackendDefinition], settings: GatewaySettings, httpClient: HTTPClient?, environment: [String: String],
        logger: Logger
    ) throws(SettingsError) -> BackendRegistry {
        let enabled = definitions.filter(\.enabled)
        let uriPrefixes = BackendRegistry.uriPrefixes(for: enabled.map { ($0.name, $0.prefix) })
        var managed: [ManagedBackend] = []
        for definition in enabled {
            let backend = try makeBackend(definition, httpClient: httpClient, environment: environment, logger: logger)
            managed.append(
                ManagedBackend(
                    settings: .init(
                        name: definition.name, prefix: definition.prefix, transport: definition.transportName,
                        timeout: .seconds(definition.timeoutSeconds),
                        toolFilter: ToolFilter(allow: definition.allowedTools, deny: definition.deniedTools),
                        auditsResults: definition.isBuiltIn),
                    backend: backend, uriPrefix: uriPrefixes[definition.name] ?? definition.prefix, logger: logger))
        }
        return BackendRegistry(backends: managed, listTimeout: .seconds(settings.listTimeoutSeconds))
    }

    static func makeBackend(
        _ definition: BackendDefinition, httpClient: HTTPClient?, environment: [String: String], logger: Logger
    ) throws(SettingsError) -> any Backend {
        switch (definition.transport, httpClient) {
        case (.streamableHTTP, nil), (.sse, nil), (.discord, nil):
            preconditionFailure("HTTP backends are built with an HTTP client")
        case (.streamableHTTP(let url), let httpClient?):
            return StreamableHTTPBackend(
                name: definition.name, url: url, headers: definition.headers, client: httpClient,
                gatewayVersion: GatewayVersion.current, logger: logger)
        case (.sse(let url), let httpClient?):
            return LegacySSEBackend(
                name: definition.name, url: url, headers: definition.headers, client: httpClient,
                gatewayVersion: GatewayVersion.current, logger: logger)
        case (.stdio(let command), _):
            return StdioBackend(
                name: definition.name,
                launch: .init(
                    command: command.command, arguments: command.arguments,
                    environment: childEnvironment(command.environment, gateway: environment),
                    workingDirectory: command.workingDirectory),
                gatewayVersion: GatewayVersion.current, logger: logger)
        case (.discord(let settings), let httpClient?):
            return DiscordBackend(name: definition.name, settings: settings, client: httpClient, version: GatewayVersion.current)
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
