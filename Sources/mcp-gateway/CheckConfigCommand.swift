import ArgumentParser
import Foundation
import GatewayApp

/// Runs every check `serve` runs before it listens, and prints the resolved backends with every credential masked.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the settings, database, templates and backends; print the resolved backends with secrets masked.",
        discussion: """
            Runs the checks `serve` runs at start, changing nothing (the database is opened read-only). Exits 0 when \
            `serve` would start with this configuration, 78 (and says why) when it would refuse.
            """
    )

    @Option(name: .customLong("env-file"), help: "The .env file to read.")
    var envFile: String = ".env"

    @Option(name: .customLong("backends"), help: "The backends file (BACKENDS_FILE).")
    var backendsFile: String?

    func run() async throws {
        var values = DotEnvFile.load(path: envFile)
        values.merge(ProcessInfo.processInfo.environment) { _, environment in environment }
        if let backendsFile { values[GatewaySettings.Name.backendsFile] = backendsFile }
        let report: ConfigurationReport
        do {
            report = try await checkConfiguration(settings: try GatewaySettings.from(values), environment: values)
        } catch {
            FileHandle.standardError.write(Data("mcp-gateway: configuration error: \(error.description)\n".utf8))
            throw ExitCode(78)
        }
        print(BackendSummary.describe(report.backends).prettyPrinted)
        if report.backends.isEmpty {
            FileHandle.standardError.write(
                Data("mcp-gateway: no backends configured (backends.json, BACKENDS_FILE or MCP_BACKEND_<NAME>)\n".utf8))
        }
        if report.pendingMigrations > 0 {
            FileHandle.standardError.write(
                Data("mcp-gateway: the database will be created or migrated at start (\(report.pendingMigrations) steps)\n".utf8))
        }
    }
}
