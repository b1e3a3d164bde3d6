import Foundation
import Testing

@testable import Accounts

/// Command backends through the service: allowed only where their sandbox can be made; a member's gets no host
/// network and sees only paths below those the operator allows.
extension MemberBackendServiceTests {
    func command(_ name: String, sandbox: BackendInput.SandboxInput? = nil) -> BackendInput {
        var input = BackendInput(name: name, transport: "stdio", command: "python3", args: ["server.py"])
        input.sandbox = sandbox
        return input
    }

    @Test func aMembersCommandBackendStaysInsideWhatTheOperatorAllows() async throws {
        let allowed = FileManager.default.temporaryDirectory.path
        var limits = MemberBackendLimits()
        limits.membersMayRunCommands = true
        limits.memberBindablePaths = [allowed]
        let world = await world(limits: limits)
        let plain = try await world.service.create(command("plain"), by: ana)
        #expect(plain.commandAccess == MemberBackend.CommandAccess(network: "none", binds: []))
        let proxied = try await world.service.create(
            command("proxied", sandbox: .init(network: "proxy", binds: [allowed + "/"])), by: ana)
        #expect(proxied.commandAccess == MemberBackend.CommandAccess(network: "proxy", binds: [allowed]))
        let refusals: [(BackendInput.SandboxInput, MemberBackendError.Kind, String)] = [
            (.init(network: "host"), .forbidden, "host's network"),
            (.init(network: "lan"), .invalid, "sandbox.network"),
            (.init(binds: ["/etc"]), .forbidden, "not below a path members may bind"),
            (.init(binds: [allowed + "/../etc"]), .invalid, "absolute path"),
            (.init(binds: [allowed + "/no-such-thing-\(UUID().uuidString)"]), .invalid, "does not exist"),
        ]
        for (sandbox, kind, words) in refusals {
            do {
                _ = try await world.service.create(command("refused", sandbox: sandbox), by: ana)
                Issue.record("accepted: \(sandbox)")
            } catch {
                #expect(error.kind == kind && error.description.contains(words), "\(error)")
            }
        }
        await #expect(throws: MemberBackendError.self) {
            _ = try await world.service.create(
                BackendInput(name: "web", url: "https://mcp.example.com/x")
                    .with(sandbox: .init(network: "proxy")), by: ana)
        }
        // The operator's may share the host's network and bind any path.
        let operators = try await world.service.create(
            command("ops", sandbox: .init(network: "host", binds: ["/usr/share"])), by: .operator)
        #expect(operators.commandAccess == MemberBackend.CommandAccess(network: "host", binds: ["/usr/share"]))
        #expect(try await world.store.allBackends().map(\.name).sorted() == ["ops", "plain", "proxied"])
    }

    @Test func whereNoSandboxCanBeMadeNoCommandBackendIsDefined() async throws {
        var limits = MemberBackendLimits()
        limits.membersMayRunCommands = true
        limits.commandsUnavailable = "bwrap is not installed"
        let world = await world(limits: limits)
        for viewer in [ana, Viewer.operator] {
            do {
                _ = try await world.service.create(command("cmd"), by: viewer)
                Issue.record("a command backend was defined without a sandbox")
            } catch {
                #expect(error.description.contains("bwrap is not installed"), "\(error)")
            }
        }
    }
}

extension BackendInput {
    fileprivate func with(sandbox: SandboxInput) -> BackendInput {
        var input = self
        input.sandbox = sandbox
        return input
    }
}
