import Foundation
import Logging
import MCPBackends
import OutboundHTTP
import Storage

/// What `check-config` reports: the resolved backends, and what starting would do to the database.
public struct ConfigurationReport: Sendable {
    public var backends: [BackendDefinition]
    public var pendingMigrations: Int
}

/// Runs every check `serve` runs before it listens, in the same order and with the same messages, without serving or
/// changing anything: the settings, the database (opened read-only), the templates, the backends (read and built,
/// not connected). When it passes, `serve` starts with this configuration.
public func checkConfiguration(settings: GatewaySettings, environment: [String: String]) async throws(SettingsError)
    -> ConfigurationReport
{
    try settings.validate()
    let pending: Int
    do {
        pending = try GatewayDatabase.check(path: settings.databasePath)
    } catch {
        throw SettingsError(GatewaySettings.Name.databasePath, "\(error)")
    }
    _ = try await loadPages(directory: settings.templatesDirectory)
    let backends = try BackendConfiguration.load(settings: settings, environment: environment)
    let client = OutboundHTTP()
    var logger = Logger(label: "check-config")
    logger.logLevel = .critical
    let sandbox = await CommandSandbox.locate(
        runtimeRoot: settings.sandboxDirectory, userIDs: settings.sandboxUserIDs, caps: settings.sandboxCaps,
        idle: settings.sandboxIdle, logger: logger)
    do {
        for planned in BackendFactory.plan(backends) {
            _ = try BackendFactory.makeManaged(
                planned, http: client, sandbox: sandbox, environment: environment, logger: logger)
        }
    } catch {
        await client.shutdown()
        throw error
    }
    await client.shutdown()
    return ConfigurationReport(backends: backends, pendingMigrations: pending)
}
