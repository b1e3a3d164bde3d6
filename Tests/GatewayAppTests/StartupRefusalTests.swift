import Foundation
import Testing

@testable import GatewayApp

@Suite struct StartupRefusalTests {
    func refusal(_ change: (inout GatewaySettings) -> Void) async -> String? {
        var settings = TestGateway.settings()
        change(&settings)
        do {
            _ = try await buildApplication(settings: settings, logger: TestGateway.logger, announce: { _ in })
            return nil
        } catch let error as SettingsError {
            return error.setting
        } catch {
            return "unexpected: \(error)"
        }
    }

    @Test func databaseThatCannotBeOpened() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plain-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        #expect(await refusal { $0.databasePath = file.path + "/gateway.sqlite" } == GatewaySettings.Name.databasePath)
    }

    @Test func databaseThatIsNotSQLite() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).sqlite")
        try Data(repeating: 7, count: 8192).write(to: file)
        #expect(await refusal { $0.databasePath = file.path } == GatewaySettings.Name.databasePath)
    }

    @Test func missingTemplates() async {
        #expect(await refusal { $0.templatesDirectory = "/nonexistent/templates" } == GatewaySettings.Name.templatesDirectory)
    }

    @Test func unsafeSettingsStopBeforeAnythingOpens() async {
        #expect(await refusal { $0.bindAddress = "0.0.0.0" } == GatewaySettings.Name.issuerURL)
        #expect(await refusal { $0.password = "short" } == GatewaySettings.Name.password)
        #expect(await refusal { $0.issuerURL = "http://127.0.0.1:4444/path" } == GatewaySettings.Name.issuerURL)
    }

    @Test func generatedPasswordIsAnnouncedOnceAndOnlyItsHashKept() async throws {
        var settings = TestGateway.settings()
        settings.password = nil
        let announced = Announcements()
        _ = try await buildApplication(settings: settings, logger: TestGateway.logger, announce: { announced.add($0) })
        _ = try await buildApplication(settings: settings, logger: TestGateway.logger, announce: { announced.add($0) })
        #expect(announced.values.count == 1)
        #expect(announced.values.first?.count == 20)
        let file = try Data(contentsOf: URL(fileURLWithPath: settings.databasePath))
        #expect(file.range(of: Data(announced.values[0].utf8)) == nil)
    }
}

final class Announcements: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ value: String) { lock.withLock { stored.append(value) } }
    var values: [String] { lock.withLock { stored } }
}
