import Foundation
import Logging
import MCPCore
import Testing

@testable import MCPBackends

/// A stdio backend in a real bubblewrap sandbox (Tests/e2e/backends/sandbox_probe.py, which reports what it could
/// reach): it answers like any stdio backend and sees nothing of the host it was not given.
@Suite(.serialized) struct SandboxedStdioBackendTests {
    static let probeSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../e2e/backends/sandbox_probe.py").standardizedFileURL

    /// A directory the sandbox's own user can read (the repository may sit in a home it cannot enter).
    static func scriptDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        let script = directory.appendingPathComponent("sandbox_probe.py")
        try FileManager.default.copyItem(at: probeSource, to: script)
        chmod(script.path, 0o644)
        return directory.path
    }

    static func call(_ backend: StdioBackend, _ tool: String, _ arguments: JSONValue = [:]) async throws -> String {
        let result = try await backend.send(
            BackendRequest(method: "tools/call", params: ["name": .string(tool), "arguments": arguments]),
            observer: SilentObserver()
        ).get()
        return result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
    }

    @Test func aSandboxedCommandAnswersAndSeesOnlyWhatItWasGiven() async throws {
        let logger = Logger(label: "test")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sandboxes-\(UUID().uuidString)").path
        let sandbox = await CommandSandbox.locate(runtimeRoot: root, logger: logger)
        try #require(sandbox.availability == .available, "bubblewrap must work here: \(sandbox.availability)")
        let scripts = try Self.scriptDirectory()
        // A secret of the gateway's own: in a file next to the scripts and in the gateway's environment.
        let secretFile = scripts + "/gateway.sqlite"
        try Data("gateway-secret-row".utf8).write(to: URL(fileURLWithPath: secretFile))
        setenv("GATEWAY_TEST_SECRET", "hunter2", 1)
        defer {
            unsetenv("GATEWAY_TEST_SECRET")
            try? FileManager.default.removeItem(atPath: scripts)
        }
        let backend = StdioBackend(
            name: "probe",
            launch: .init(
                command: "python3", arguments: [scripts + "/sandbox_probe.py"], environment: ["GIVEN": "yes"],
                workingDirectory: nil),
            sandboxing: .init(sandbox: sandbox, profile: SandboxProfile(readOnlyPaths: [scripts])), gatewayVersion: "test",
            logger: logger)
        _ = try await backend.connect(notifications: { _ in })
        #expect(try await Self.call(backend, "echo", ["text": "hi"]) == "hi")

        let answer = try await Self.call(
            backend, "probe",
            [
                "read": [.string(secretFile), "/etc/shadow", "/proc/1/environ", "/etc/passwd"],
                "list": ["/", "/home"], "write": ["/usr/x", "/tmp/x", .string(scripts + "/x")],
                "connect": [["1.1.1.1", 53], ["127.0.0.1", 22]],
            ])
        let report = try JSONValue.parse(Array(answer.utf8))
        #expect(report["uid"] == 1000 && report["home"] == "/home/sandbox")
        #expect(report["env"]?["GIVEN"] == "yes" && report["env"]?["GATEWAY_TEST_SECRET"] == nil)
        // The script's own directory is bound read-only, so the file beside it is readable, and nothing else is.
        #expect(report["read"]?[secretFile]?.stringValue?.hasPrefix("ok:") == true)
        #expect(report["read"]?["/etc/shadow"]?.stringValue?.hasPrefix("error:") == true)
        #expect(report["read"]?["/proc/1/environ"]?.stringValue?.contains("hunter2") == false)
        #expect(report["read"]?["/etc/passwd"]?.stringValue?.contains("sandbox:x:1000") == true)
        #expect(report["list"]?["/"]?.stringValue?.contains("root") == false)
        #expect(report["write"]?["/usr/x"]?.stringValue?.hasPrefix("error:") == true)
        #expect(report["write"]?["/tmp/x"] == "ok:written")
        #expect(report["write"]?[scripts + "/x"]?.stringValue?.hasPrefix("error:") == true)
        #expect(report["connect"]?["1.1.1.1:53"]?.stringValue?.hasPrefix("error:") == true)
        #expect(report["connect"]?["127.0.0.1:22"]?.stringValue?.hasPrefix("error:") == true)
        await backend.shutdown()
        let left = (try? FileManager.default.contentsOfDirectory(atPath: root + "/\(getpid())")) ?? ["unreadable"]
        #expect(left.isEmpty, "the sandbox's directory goes with its process")
    }

    @Test func aCommandOutsideTheSandboxIsRefusedWithTheReason() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sandboxes-\(UUID().uuidString)").path
        let sandbox = await CommandSandbox.locate(runtimeRoot: root, logger: Logger(label: "test"))
        try #require(sandbox.availability == .available)
        let outside = StdioBackend.Launch(
            command: "/opt/elsewhere/server", arguments: [], environment: [:], workingDirectory: nil)
        await #expect(throws: SandboxError.self) { _ = try await sandbox.prepare(outside, profile: SandboxProfile()) }
        let backend = StdioBackend(
            name: "outside", launch: outside, sandboxing: .init(sandbox: sandbox, profile: SandboxProfile()),
            gatewayVersion: "test", logger: Logger(label: "test"))
        do {
            _ = try await backend.connect(notifications: { _ in })
            Issue.record("a command outside the sandbox started")
        } catch {
            #expect("\(error)".contains("not inside the sandbox"), "\(error)")
        }
        await backend.shutdown()
    }

    @Test func aLineOverTheLimitStopsTheProcessAndSaysWhy() async throws {
        let logger = Logger(label: "test")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sandboxes-\(UUID().uuidString)").path
        let sandbox = await CommandSandbox.locate(runtimeRoot: root, logger: logger)
        try #require(sandbox.availability == .available)
        let scripts = try Self.scriptDirectory()
        defer { try? FileManager.default.removeItem(atPath: scripts) }
        var profile = SandboxProfile(readOnlyPaths: [scripts])
        profile.limits.messageBytes = 1 << 20
        let backend = StdioBackend(
            name: "endless",
            launch: .init(
                command: "/usr/bin/python3", arguments: [scripts + "/sandbox_probe.py"], environment: [:],
                workingDirectory: nil),
            sandboxing: .init(sandbox: sandbox, profile: profile), gatewayVersion: "test", logger: logger)
        _ = try await backend.connect(notifications: { _ in })
        do {
            _ = try await withTimeout(.seconds(20)) { try await Self.call(backend, "endless_line") }
            Issue.record("the endless line was answered")
        } catch {
            #expect("\(error)".contains("longer than 1048576 bytes"), "\(error)")
        }
        await backend.shutdown()
    }
}
