import Foundation
import Logging
import MCPCore
import Testing

@testable import MCPGateway

/// The registry's view per caller: the global backends plus the member backends a resolver gives the caller's
/// subject, names assigned globals first, and the subject carried on every request to a backend.
@Suite struct MemberViewTests {
    struct Resolver: MemberBackendResolver {
        let members: [String: [ManagedBackend]]
        let cutOff: Set<String>

        func resolve(for subject: String) async -> MemberResolution {
            MemberResolution(
                backends: members[subject] ?? [], reachesGlobalBackends: !cutOff.contains(subject),
                isOperator: subject == "operator")
        }
    }

    func managed(_ id: String, prefix: String, _ backend: FakeBackend, operatorOnly: Bool = false) -> ManagedBackend {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return ManagedBackend(
            settings: .init(
                name: id, prefix: prefix, transport: "fake", timeout: .seconds(5), toolFilter: .init(allow: [], deny: []),
                operatorOnly: operatorOnly),
            backend: backend, uriPrefix: prefix + "-" + id, logger: logger)
    }

    func call(_ subject: String) -> ClientCall {
        ClientCall(era: .modern(version: "2026-07-28"), clientCapabilities: [:], sessionKey: nil, clientID: "c", subject: subject)
    }

    func names(_ result: Result<JSONValue, JSONRPC.Failure>) -> [String] {
        guard case .success(let value) = result, case .array(let tools)? = value["tools"] else { return [] }
        return tools.compactMap { $0["name"]?.stringValue }
    }

    @Test func eachCallerSeesTheGlobalBackendsAndTheirOwnAndTheSubjectReachesTheBackend() async throws {
        let global = FakeBackend(tools: ["echo"])
        let anasGithub = FakeBackend(tools: ["issues"])
        let bensGithub = FakeBackend(tools: ["issues"])
        // A member backend named like the global one: the global keeps its plain names.
        let anasShadow = FakeBackend(tools: ["echo"])
        let registry = BackendRegistry(backends: [managed("github", prefix: "github", global)], listTimeout: .seconds(30))
        registry.resolveMemberBackends(
            with: Resolver(
                members: [
                    "discord:1": [managed("b1", prefix: "github", anasGithub), managed("b3", prefix: "github", anasShadow)],
                    "discord:2": [managed("b2", prefix: "github", bensGithub)],
                ], cutOff: ["discord:9"]))
        let methods = GatewayMethods(identity: MCPServerIdentity(version: "test", instructions: nil), registry: registry)

        let ana = names(await methods.answer(method: "tools/list", params: nil, call: call("discord:1")))
        #expect(ana.contains("github__echo") && ana.contains("github__issues") && ana.count == 3)
        let ben = names(await methods.answer(method: "tools/list", params: nil, call: call("discord:2")))
        #expect(Set(ben) == ["github__echo", "github__issues"])
        #expect(names(await methods.answer(method: "tools/list", params: nil, call: call("discord:9"))).isEmpty)

        _ = await methods.answer(
            method: "tools/call", params: ["name": "github__issues", "arguments": [:]], call: call("discord:2"))
        let bensCalls = await bensGithub.calls.filter { $0.method == "tools/call" }
        #expect(bensCalls.map(\.subject) == ["discord:2"])
        #expect(await anasGithub.calls.filter { $0.method == "tools/call" }.isEmpty)

        let global_ = await methods.answer(
            method: "tools/call", params: ["name": "github__echo", "arguments": [:]], call: call("discord:1"))
        #expect((try? global_.get()) != nil)
        #expect(await global.calls.filter { $0.method == "tools/call" }.map(\.subject) == ["discord:1"])
        #expect(await anasShadow.calls.filter { $0.method == "tools/call" }.isEmpty)

        // A member cut off from the community reaches not even the global backend.
        let refused = await methods.answer(
            method: "tools/call", params: ["name": "github__echo", "arguments": [:]], call: call("discord:9"))
        guard case .failure(let failure) = refused else {
            Issue.record("a cut-off member reached a global backend")
            return
        }
        #expect(failure.message.hasPrefix("Unknown tool"))
    }

    @Test func aGlobalBackendKeptFromMembersIsTheOperatorsAlone() async {
        let open = FakeBackend(tools: ["echo"])
        let kept = FakeBackend(tools: ["ban"])
        let registry = BackendRegistry(
            backends: [managed("open", prefix: "open", open), managed("admin", prefix: "admin", kept, operatorOnly: true)],
            listTimeout: .seconds(30))
        registry.resolveMemberBackends(with: Resolver(members: [:], cutOff: []))
        let methods = GatewayMethods(identity: MCPServerIdentity(version: "test", instructions: nil), registry: registry)
        #expect(names(await methods.answer(method: "tools/list", params: nil, call: call("discord:1"))) == ["open__echo"])
        #expect(
            Set(names(await methods.answer(method: "tools/list", params: nil, call: call("operator")))) == [
                "open__echo", "admin__ban",
            ])
        let refused = await methods.answer(
            method: "tools/call", params: ["name": "admin__ban", "arguments": [:]], call: call("discord:1"))
        guard case .failure = refused else {
            Issue.record("a member reached an operator-only backend")
            return
        }
        #expect(await kept.calls.filter { $0.method == "tools/call" }.isEmpty)
    }
}
