import ArgumentParser
import Foundation
import GatewayApp

/// Resolves the settings and backends as `serve` would, and prints them with every credential masked.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the settings and the backends file; print the resolved backends with secrets masked.",
        discussion: "Exits 0 when `serve` would start with this configuration, 78 (and says why) when it would refuse."
    )

    @Option(name: .customLong("env-file"), help: "The .env file to read.")
    var envFile: String = ".env"

    @Option(name: .customLong("backends"), help: "The backends file (BACKENDS_FILE).")
    var backendsFile: String?

    func run() throws {
        var values = DotEnvFile.load(path: envFile)
        values.merge(ProcessInfo.processInfo.environment) { _, environment in environment }
        if let backendsFile { values[GatewaySettings.Name.backendsFile] = backendsFile }
        let backends: [BackendDefinition]
        do {
            backends = try Self.resolve(values)
        } catch {
            FileHandle.standardError.write(Data("mcp-gateway: configuration error: \(error.description)\n".utf8))
            throw ExitCode(78)
        }
        print(BackendSummary.describe(backends).prettyPrinted)
        if backends.isEmpty {
            FileHandle.standardError.write(
                Data("mcp-gateway: no backends configured (backends.json, BACKENDS_FILE or MCP_BACKEND_<NAME>)\n".utf8))
        }
    }

    static func resolve(_ values: [String: String]) throws(SettingsError) -> [BackendDefinition] {
        let settings = try GatewaySettings.from(values)
        try settings.validate()
        return try BackendConfiguration.load(settings: settings, environment: values)
    }
}
