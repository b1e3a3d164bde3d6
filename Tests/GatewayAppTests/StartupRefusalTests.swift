import Foundation
import Testing

@testable import GatewayApp

@Suite struct StartupRefusalTests {
    func refusal(_ change: (inout GatewaySettings) -> Void) async -> String? {
        var settings = TestGateway.settings()
        change(&settings)
        do {
            _ = try await buildApplication(settings: settings, logger: TestGateway.logger, announce: { _, _ in })
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

    @Test func aTemplatesFolderMissingOnePageIsRefused() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partial-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("<p>{{client_name}}</p>".utf8).write(to: folder.appendingPathComponent("consent.mustache"))
        #expect(await refusal { $0.templatesDirectory = folder.path } == GatewaySettings.Name.templatesDirectory)
    }

    @Test func theRepositoryTemplatesFolderStillReplacesTheBuiltInPages() async {
        #expect(await refusal { $0.templatesDirectory = TestGateway.templatesDirectory } == nil)
    }

    @Test func theBuiltInTemplatesAreTheRepositoryTemplates() throws {
        let folder = URL(fileURLWithPath: TestGateway.templatesDirectory)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }
        #expect(Set(files.map { String($0.dropLast(".mustache".count)) }) == Set(BuiltInTemplates.all.keys))
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let name = String(file.dropLast(".mustache".count))
            // The generator drops the file's final newlines; anything else differing means it was not run.
            #expect(
                BuiltInTemplates.all[name] == String(text.reversed().drop { $0 == "\n" }.reversed()),
                "templates/\(file) changed: run scripts/embed-templates.py (make build does)")
        }
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
        _ = try await buildApplication(
            settings: settings, logger: TestGateway.logger, announce: { password, _ in announced.add(password) })
        _ = try await buildApplication(
            settings: settings, logger: TestGateway.logger, announce: { password, _ in announced.add(password) })
        #expect(announced.values.count == 1)
        #expect(announced.values.first?.count == 20)
        let file = try Data(contentsOf: URL(fileURLWithPath: settings.databasePath))
        #expect(file.range(of: Data(announced.values[0].utf8)) == nil)
    }

    @Test func theGeneratedPasswordIsKeptInAnOwnerOnlyFileUntilAPasswordIsConfigured() async throws {
        var settings = TestGateway.settings()
        settings.password = nil
        let files = Announcements()
        _ = try await buildApplication(
            settings: settings, logger: TestGateway.logger, announce: { _, file in files.add(file ?? "none") })
        #expect(files.values == [settings.initialPasswordFile])
        let attributes = try FileManager.default.attributesOfItem(atPath: settings.initialPasswordFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        settings.password = "a configured password"
        _ = try await buildApplication(settings: settings, logger: TestGateway.logger, announce: { _, _ in })
        #expect(!FileManager.default.fileExists(atPath: settings.initialPasswordFile))
    }
}

final class Announcements: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ value: String) { lock.withLock { stored.append(value) } }
    var values: [String] { lock.withLock { stored } }
}
