import ArgumentParser
import Foundation
import GatewayApp
import Storage

/// Where the operator commands find the database: `--database`, else `DATABASE_PATH` from the environment or
/// the .env file, else the default that `serve` uses. They share it safely with a running server (SQLite WAL).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database"), help: "SQLite file (DATABASE_PATH).")
    var databasePath: String?

    @Option(name: .customLong("env-file"), help: "The .env file to read.")
    var envFile: String = ".env"

    /// The environment merged over the .env file, `--database` applied.
    func values() -> [String: String] {
        var values = DotEnvFile.load(path: envFile)
        values.merge(ProcessInfo.processInfo.environment) { _, environment in environment }
        if let databasePath { values[GatewaySettings.Name.databasePath] = databasePath }
        return values
    }

    /// The settings `serve` would run with here.
    func settings() throws -> GatewaySettings {
        do {
            return try GatewaySettings.from(values())
        } catch {
            throw OperatorFailure(error.description, code: 78)
        }
    }

    /// The names of the backends `serve` would run with here.
    func configuredBackendNames() throws -> Set<String> {
        do {
            return Set(try BackendConfiguration.load(settings: try settings(), environment: values()).map(\.name))
        } catch let error as SettingsError {
            throw OperatorFailure(error.description, code: 78)
        }
    }

    func open() throws -> GatewayDatabase {
        let path = try settings().databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw OperatorFailure("no database at \(path): start the gateway once, or pass --database", code: 66)
        }
        do {
            return try GatewayDatabase(path: path)
        } catch {
            throw OperatorFailure(error.description, code: 74)
        }
    }
}

/// A command's refusal: one line on standard error and an exit code (sysexits: 64 usage, 65 data, 66 no input,
/// 74 I/O, 78 configuration).
struct OperatorFailure: Error, CustomStringConvertible {
    let description: String
    let code: Int32

    init(_ description: String, code: Int32 = 65) {
        self.description = description
        self.code = code
    }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning an `OperatorFailure` into its message and exit code.
    func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as OperatorFailure {
            FileHandle.standardError.write(Data("mcp-gateway: \(failure.description)\n".utf8))
            throw ExitCode(failure.code)
        }
    }
}
