import Foundation
import MCPGateway
import OutboundHTTP
import Testing

@testable import GatewayApp

@Suite struct BackendReloaderTests {
    /// A backends file in a fresh folder, the registry built from it, and a reloader over both.
    struct Fixture {
        let file: URL
        let reloader: BackendReloader
        let registry: BackendRegistry
        let client: OutboundHTTP

        func write(_ text: String) throws {
            try Data(text.utf8).write(to: file)
        }

        func names() -> [String] { registry.backends.map(\.settings.name) }

        func close() async {
            await registry.shutdown()
            await client.shutdown()
        }
    }

    static func entry(_ name: String, port: Int = 9, prefix: String? = nil) -> String {
        let prefixField = prefix.map { #", "prefix": "\#($0)""# } ?? ""
        return #""\#(name)": {"url": "http://127.0.0.1:\#(port)/mcp"\#(prefixField)}"#
    }

    static func fixture(_ entries: [String], environment: [String: String] = [:]) throws -> Fixture {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("backends.json")
        try Data(#"{"backends": {\#(entries.joined(separator: ", "))}}"#.utf8).write(to: file)
        var settings = TestGateway.settings()
        settings.backendsFile = file.path
        let definitions = try BackendConfiguration.load(settings: settings, environment: environment)
        let client = OutboundHTTP()
        let registry = try BackendFactory.makeRegistry(
            definitions, settings: settings, http: client, sandbox: .unavailable("not needed"), environment: environment,
            logger: TestGateway.logger)
        let reloader = BackendReloader(
            settings: settings, definitions: definitions, environment: { environment }, registry: registry, http: client,
            sandbox: .unavailable("not needed"), drain: .seconds(1), logger: TestGateway.logger)
        return Fixture(file: file, reloader: reloader, registry: registry, client: client)
    }

    @Test func onlyWhatChangedIsAddedRemovedOrReplaced() async throws {
        let fixture = try Self.fixture([Self.entry("alpha"), Self.entry("beta"), Self.entry("gamma")])
        let untouched = try #require(fixture.registry.backends.first { $0.settings.name == "alpha" })
        try fixture.write(
            #"{"backends": {\#(Self.entry("alpha")), \#(Self.entry("beta", prefix: "b2")), \#(Self.entry("delta"))}}"#)
        let outcome = await fixture.reloader.reload(trigger: "test")
        #expect(outcome == .applied(added: ["delta"], removed: ["gamma"], replaced: ["beta"]))
        #expect(fixture.names() == ["alpha", "beta", "delta"])
        #expect(fixture.registry.backends.first { $0.settings.name == "alpha" } === untouched, "alpha kept as it was")
        #expect(fixture.registry.backends.first { $0.settings.name == "beta" }?.settings.prefix == "b2")
        #expect(await fixture.reloader.reload(trigger: "again") == .unchanged)
        await fixture.close()
    }

    @Test func anInvalidFileChangesNothingAndIsReported() async throws {
        let fixture = try Self.fixture([Self.entry("alpha")])
        for broken in [
            #"{"backends": {"alpha": "#, #"{"backends": {"alpha": {"url": "ftp://x"}}}"#,
            #"{"backends": {"alpha": {"url": "http://127.0.0.1:9/mcp", "colour": "red"}}}"#,
            #"{"backends": {"alpha": {"url": "http://127.0.0.1:9/mcp", "headers": {"A": "${NOT_SET}"}}}}"#,
        ] {
            try fixture.write(broken)
            guard case .refused(let why) = await fixture.reloader.reload(trigger: "test") else {
                Issue.record("\(broken) was applied")
                continue
            }
            #expect(why.contains(fixture.file.path))
            #expect(await fixture.reloader.report.lastError == why)
            #expect(fixture.names() == ["alpha"])
        }
        try fixture.write(#"{"backends": {\#(Self.entry("alpha")), \#(Self.entry("beta"))}}"#)
        #expect(await fixture.reloader.reload(trigger: "fixed") == .applied(added: ["beta"], removed: [], replaced: []))
        #expect(await fixture.reloader.report.lastError == nil)
        await fixture.close()
    }

    @Test func aPollReloadsOnlyWhenTheContentChanged() async throws {
        let fixture = try Self.fixture([Self.entry("alpha")])
        await fixture.reloader.reloadIfFileChanged()
        #expect(fixture.names() == ["alpha"])
        try fixture.write(#"{"backends": {\#(Self.entry("alpha")), \#(Self.entry("beta"))}}"#)
        await fixture.reloader.reloadIfFileChanged()
        #expect(fixture.names() == ["alpha", "beta"])
        try FileManager.default.removeItem(at: fixture.file)
        await fixture.reloader.reloadIfFileChanged()
        #expect(fixture.names() == ["alpha", "beta"], "a vanished file keeps the running set")
        #expect(await fixture.reloader.report.lastError?.contains("does not exist") == true)
        await fixture.close()
    }
}
