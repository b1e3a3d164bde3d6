import Foundation
import Logging
import MCPCore
import Testing

@testable import MCPGateway

/// A backend that answers one slow call, so a test can hold a call in flight while the set changes.
actor SlowCallBackend: Backend {
    let release = AsyncStream<Void>.makeStream()
    private(set) var shutDown = false

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        BackendDescription(era: .modern(version: "2026-07-28"), serverInfo: nil, capabilities: ["tools": [:]], instructions: nil)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>
    {
        switch request.method {
        case "tools/list":
            return .success(["tools": [["name": "wait", "inputSchema": ["type": "object"]]]])
        default:
            for await _ in release.stream { break }
            return .success(["content": [["type": "text", "text": "finished"]]])
        }
    }

    func endSession(_ key: String) async {}
    func shutdown() async { shutDown = true }
}

@Suite struct RegistryUpdateTests {
    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    static func managed(_ name: String, _ backend: any Backend, prefix: String? = nil) -> ManagedBackend {
        ManagedBackend(
            settings: .init(
                name: name, prefix: prefix ?? name, transport: "fake", timeout: .seconds(5),
                toolFilter: .init(allow: [], deny: [])),
            backend: backend, uriPrefix: prefix ?? name, logger: logger)
    }

    static func names(_ registry: BackendRegistry, reachable: @escaping @Sendable (String) -> Bool = { _ in true }) async
        -> [String]
    {
        await registry.merged(.tools, reachable: reachable).compactMap { $0["name"]?.stringValue }
    }

    @Test func addedBackendsAreListedAndRemovedOnesAreNotAndListenersHearOfIt() async throws {
        let registry = BackendRegistry(
            backends: [Self.managed("alpha", FakeBackend(tools: ["echo"]))], listTimeout: .seconds(30))
        await registry.start()
        let (_, changes) = await registry.listen()
        #expect(await Self.names(registry) == ["alpha__echo"])

        await registry.update(adding: [Self.managed("beta", FakeBackend(tools: ["search"]))], removing: [], drain: .seconds(1))
        #expect(await Self.names(registry) == ["alpha__echo", "beta__search"])
        var heard = changes.makeAsyncIterator()
        #expect(await heard.next() == "notifications/tools/list_changed")

        await registry.update(adding: [], removing: ["alpha"], drain: .seconds(1))
        #expect(await Self.names(registry) == ["beta__search"])
        #expect(await registry.route(.tools, exposedName: "alpha__echo") == nil, "no route to a removed backend")
        #expect(registry.backends.map(\.settings.name) == ["beta"])
        await registry.shutdown()
    }

    @Test func aReplacedBackendFinishesItsCallInFlightBeforeItIsShutDown() async throws {
        let old = SlowCallBackend()
        let registry = BackendRegistry(backends: [Self.managed("slow", old)], listTimeout: .seconds(30))
        await registry.start()
        let route = try #require(await registry.route(.tools, exposedName: "slow__wait"))
        let call = Task {
            try await route.backend.send(
                BackendRequest(method: "tools/call", params: ["name": "wait"], timeout: .seconds(5)), observer: SilentObserver())
        }
        try await Task.sleep(for: .milliseconds(100))
        await registry.update(
            adding: [Self.managed("slow", FakeBackend(tools: ["echo"]), prefix: "s2")], removing: ["slow"], drain: .seconds(5))
        #expect(await Self.names(registry) == ["s2__echo"])
        try await Task.sleep(for: .milliseconds(200))
        #expect(await old.shutDown == false, "not while its call runs")
        old.release.continuation.yield()
        let answer = try await call.value.get()
        #expect(answer["content"]?.arrayValue?.first?["text"] == "finished")
        for _ in 0..<50 where await !old.shutDown { try await Task.sleep(for: .milliseconds(50)) }
        #expect(await old.shutDown, "shut down once the call ended")
        await registry.shutdown()
    }

    @Test func aRetiringBackendThatNeverFinishesIsShutDownAfterTheDrainLimit() async throws {
        let old = SlowCallBackend()
        let registry = BackendRegistry(backends: [Self.managed("slow", old)], listTimeout: .seconds(30))
        await registry.start()
        let route = try #require(await registry.route(.tools, exposedName: "slow__wait"))
        let call = Task {
            try? await route.backend.send(
                BackendRequest(method: "tools/call", params: ["name": "wait"], timeout: .seconds(5)), observer: SilentObserver())
        }
        try await Task.sleep(for: .milliseconds(100))
        await registry.update(adding: [], removing: ["slow"], drain: .milliseconds(300))
        for _ in 0..<40 where await !old.shutDown { try await Task.sleep(for: .milliseconds(50)) }
        #expect(await old.shutDown)
        old.release.continuation.finish()
        _ = await call.value
        await registry.shutdown()
    }

    @Test func aSelectionHidesOtherBackendsButNamesStayTheSame() async throws {
        let registry = BackendRegistry(
            backends: [
                Self.managed("alpha", FakeBackend(tools: ["echo"])),
                Self.managed("beta", FakeBackend(tools: ["echo"]), prefix: "alpha"),
            ], listTimeout: .seconds(30))
        let all = await Self.names(registry)
        let onlyBeta = await Self.names(registry, reachable: { $0 == "beta" })
        #expect(all.count == 2 && onlyBeta.count == 1)
        #expect(all.contains(onlyBeta[0]), "a collision's hashed name does not depend on who asks")
        let call = ClientCall(
            era: .modern(version: "2026-07-28"), clientCapabilities: [:], sessionKey: nil, clientID: nil,
            backendSelection: ["beta"])
        #expect(call.mayReach("beta") && !call.mayReach("alpha"))
        await registry.shutdown()
    }
}
