import Logging
import MCPCore
import Synchronization
import Testing

@testable import MCPGateway

/// A backend whose tool list the test changes, whose listing can be held at a gate, and which can announce changes.
actor ScriptedBackend: Backend {
    private var tools: [String]
    private var gateClosed = false
    private var gateWaiters: [CheckedContinuation<Void, Never>] = []
    private var announce: (@Sendable (BackendNotification) -> Void)?
    private(set) var listings = 0

    init(tools: [String]) { self.tools = tools }

    func setTools(_ tools: [String]) { self.tools = tools }
    func closeGate() { gateClosed = true }
    func openGate() {
        gateClosed = false
        for waiter in gateWaiters { waiter.resume() }
        gateWaiters = []
    }
    func announceChange() { announce?(BackendNotification(method: "notifications/tools/list_changed", params: nil)) }

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        announce = notifications
        return BackendDescription(
            era: .modern(version: "2026-07-28"), serverInfo: nil, capabilities: ["tools": ["listChanged": true]],
            instructions: nil)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>
    {
        guard request.method == "tools/list" else { return .success([:]) }
        listings += 1
        if gateClosed { await withCheckedContinuation { gateWaiters.append($0) } }
        return .success(["tools": .array(tools.map { ["name": .string($0), "inputSchema": ["type": "object"]] })])
    }

    func endSession(_ key: String) async {}
    func shutdown() async {}
}

@Suite struct CatalogTests {
    static func managed(_ name: String, _ backend: any Backend) -> ManagedBackend {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return ManagedBackend(
            settings: .init(
                name: name, prefix: name, transport: "fake", timeout: .seconds(30), toolFilter: .init(allow: [], deny: [])),
            backend: backend, uriPrefix: name, logger: logger)
    }

    static func names(_ registry: BackendRegistry) async -> Set<String> {
        Set(await registry.merged(.tools).compactMap { $0["name"]?.stringValue })
    }

    /// A started registry over `backends`, by name.
    static func started(
        _ backends: [(String, ScriptedBackend)], listTimeout: Duration = .seconds(5), refreshInterval: Duration = .seconds(60)
    ) async -> BackendRegistry {
        let registry = BackendRegistry(
            backends: backends.map { managed($0.0, $0.1) }, listTimeout: listTimeout, refreshInterval: refreshInterval)
        await registry.start()
        return registry
    }

    /// Polls `condition` for up to ten seconds.
    static func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<200 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func aBackendThatHoldsItsFirstListIsWaitedForOnlyWithinTheListingTimeout() async throws {
        let quick = ScriptedBackend(tools: ["echo"])
        let held = ScriptedBackend(tools: ["slow"])
        await held.closeGate()
        let registry = await Self.started([("quick", quick), ("held", held)], listTimeout: .seconds(2))
        // A listing waits at most the listing timeout for the held backend's first list, then answers without it
        // (polled: on a loaded machine even the quick backend may miss the first listing's timeout).
        #expect(await Self.eventually { await Self.names(registry) == ["quick__echo"] })
        // Later listings do not wait for it at all: this one answers while its fetch is still held at the gate.
        #expect(await Self.names(registry) == ["quick__echo"])
        #expect(await held.listings == 1, "the held fetch is shared, not started again")
        let (_, changes) = await registry.listen()
        await held.openGate()
        // The quick backend's own announcement may still be on its way, so read until one finds the held tool.
        let announced = Task {
            for await method in changes where method == "notifications/tools/list_changed" {
                if await Self.names(registry) == ["quick__echo", "held__slow"] { return true }
            }
            return false
        }
        let seen = try? await withTimeout(.seconds(10)) { await announced.value }
        announced.cancel()
        #expect(seen == true, "its list arriving is announced")
        await registry.shutdown()
    }

    @Test func aListingIsServedFromTheCatalogAndAnAnnouncedChangeIsFetchedBeforeItIsAnnounced() async throws {
        let backend = ScriptedBackend(tools: ["one"])
        let registry = await Self.started([("alpha", backend)])
        #expect(await Self.names(registry) == ["alpha__one"])
        #expect(await Self.names(registry) == ["alpha__one"])
        #expect(await backend.listings == 1, "the second listing came from the catalog")
        let (_, changes) = await registry.listen()
        await backend.setTools(["one", "two"])
        await backend.announceChange()
        var iterator = changes.makeAsyncIterator()
        #expect(await iterator.next() == "notifications/tools/list_changed")
        // Announced once the new list is in: a client that lists on the notification sees the new tool.
        #expect(await Self.names(registry) == ["alpha__one", "alpha__two"])
        await registry.shutdown()
    }

    @Test func aListOlderThanTheRefreshIntervalIsServedWhileAFreshOneIsFetched() async throws {
        let backend = ScriptedBackend(tools: ["one"])
        let registry = await Self.started([("alpha", backend)], refreshInterval: .milliseconds(100))
        #expect(await Self.names(registry) == ["alpha__one"])
        await backend.setTools(["one", "two"])
        try await Task.sleep(for: .milliseconds(150))
        #expect(await Self.eventually { await Self.names(registry) == ["alpha__one", "alpha__two"] })
        await registry.shutdown()
    }

    @Test func aToolAddedAMomentAgoIsRoutedBeforeAnyListingSawIt() async throws {
        let backend = ScriptedBackend(tools: ["one"])
        let registry = await Self.started([("alpha", backend)])
        #expect(await Self.names(registry) == ["alpha__one"])
        await backend.setTools(["one", "fresh"])
        let route = await registry.route(.tools, exposedName: "alpha__fresh")
        #expect(route?.originalName == "fresh")
        #expect(await registry.route(.tools, exposedName: "nobody__fresh") == nil)
        await registry.shutdown()
    }
}
