import ArgumentParser
import Foundation
import GatewayApp
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway.",
        discussion: """
            Settings come from the environment and an optional .env file in the working directory; \
            the flags below override both. See the README's configuration table.
            """
    )

    @Option(name: .customLong("issuer-url"), help: "Public base URL (OAUTH_ISSUER_URL).")
    var issuerURL: String?

    @Option(name: .customLong("bind"), help: "Listen address (GATEWAY_BIND_ADDR).")
    var bindAddress: String?

    @Option(help: "Listen port (GATEWAY_PORT).")
    var port: Int?

    @Option(name: .customLong("database"), help: "SQLite file (DATABASE_PATH).")
    var databasePath: String?

    @Option(name: .customLong("templates"), help: "Folder of the page templates (GATEWAY_TEMPLATES_DIR).")
    var templatesDirectory: String?

    @Option(name: .customLong("env-file"), help: "The .env file to read.")
    var envFile: String = ".env"

    /// The .env file, the environment over it, and these flags over both; read again when backends reload.
    static func values(envFile: String, flags: [String: String?]) -> [String: String] {
        var values = DotEnvFile.load(path: envFile)
        values.merge(ProcessInfo.processInfo.environment) { _, environment in environment }
        for case (let name, let value?) in flags { values[name] = value }
        return values
    }

    func run() async throws {
        // Tasks run on the event loops that do the I/O: a request read on one loop is answered, and its backend
        // called, on that loop, with no hop to Swift's own thread pool and back.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let flags: [String: String?] = [
            GatewaySettings.Name.issuerURL: issuerURL,
            GatewaySettings.Name.bindAddress: bindAddress,
            GatewaySettings.Name.port: port.map(String.init),
            GatewaySettings.Name.databasePath: databasePath,
            GatewaySettings.Name.templatesDirectory: templatesDirectory,
        ]
        let envFile = self.envFile
        let values = Self.values(envFile: envFile, flags: flags)

        do {
            let settings = try GatewaySettings.from(values)
            GatewayLogging.bootstrap(format: settings.logFormat, level: Logger.Level(rawValue: settings.logLevel) ?? .info)
            let logger = Logger(label: "mcp-gateway")
            let backends = try BackendConfiguration.load(settings: settings, environment: values)
            let app = try await buildApplication(
                settings: settings, backends: backends, environment: values,
                reloadEnvironment: { Self.values(envFile: envFile, flags: flags) }, logger: logger,
                metrics: GatewayMetrics.bootstrap()
            ) { password, file in
                let kept =
                    file.map { "It is also kept in \($0) (readable by this user only) until you change the password." }
                    ?? "It is shown only this once."
                let notice = """

                    Generated operator password: \(password)
                    \(kept) Type it on the consent page and at /admin.
                    Change it at /admin or with `mcp-gateway password set`; or set OAUTH_PASSWORD (or OAUTH_PASSWORD_HASH).


                    """
                FileHandle.standardOutput.write(Data(notice.utf8))
            }
            // SIGTERM or SIGINT: stop accepting; calls in flight get GATEWAY_SHUTDOWN_TIMEOUT to finish before they
            // are cancelled (ShutdownGrace), then the services write out their state (audit rows, stdio children).
            // The group's own bound is a last resort for anything else that would hold the stop up.
            var group = ServiceGroupConfiguration(
                services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(settings.shutdownTimeoutSeconds + 10)
            group.maximumCancellationDuration = .seconds(5)
            try await ServiceGroup(configuration: group).run()
        } catch let error as SettingsError {
            throw refusal(error.description)
        }
    }

    private func refusal(_ message: String) -> some Error {
        FileHandle.standardError.write(Data("mcp-gateway: refusing to start: \(message)\n".utf8))
        return ExitCode(78)  // EX_CONFIG
    }
}
