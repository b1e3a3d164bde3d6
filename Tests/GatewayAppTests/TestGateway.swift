import Foundation
import Logging

@testable import GatewayApp

/// Settings for an in-process gateway on a fresh data folder, with the built-in templates.
enum TestGateway {
    static let password = "test operator password"

    static var templatesDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("templates").path
    }

    static func settings() -> GatewaySettings {
        var settings = GatewaySettings()
        settings.issuerURL = "http://127.0.0.1:4444"
        settings.password = password
        settings.dataDirectory =
            FileManager.default.temporaryDirectory.appendingPathComponent("gateway-tests-\(UUID().uuidString)").path
        settings.databasePath = settings.dataDirectory + "/gateway.sqlite"
        return settings
    }

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }
}
