import Logging
import MCPCore
import Synchronization
import Testing

@testable import MCPBackends

/// Records what the peer writes, as a child's stdin would receive it.
final class Wire: Sendable {
    let sent = Mutex<[JSONValue]>([])
    func messages() -> [JSONValue] { sent.withLock { $0 } }
}

actor ProgressLog: BackendRequestObserver {
    var notifications: [BackendNotification] = []
    func notification(_ notification: BackendNotification) async { notifications.append(notification) }
    func serverRequest(method: String, params: JSONValue?) async -> Result<JSONValue, JSONRPC.Failure> {
        .success(["answered": true])
    }
}

@Suite struct ChannelPeerTests {
    func makePeer() -> (ChannelPeer, Wire) {
        let wire = Wire()
        let peer = ChannelPeer(logger: Logger(label: "test")) { message in wire.sent.withLock { $0.append(message) } }
        return (peer, wire)
    }

    func waitFor(_ wire: Wire, count: Int) async throws {
        for _ in 0..<200 where wire.messages().count < count { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func concurrentCallersGetTheirOwnAnswersAndProgress() async throws {
        let (peer, wire) = makePeer()
        let log = ProgressLog()
        async let first = peer.request(method: "tools/call", params: ["name": "a", "_meta": ["progressToken": 1]], observer: log)
        async let second = peer.request(
            method: "tools/call", params: ["name": "b", "_meta": ["progressToken": 1]], observer: SilentObserver())
        try await waitFor(wire, count: 2)
        let sent = wire.messages()
        let ids = sent.compactMap { $0["id"] }
        #expect(Set(ids).count == 2)
        let tokens = sent.compactMap { $0["params"]?["_meta"]?["progressToken"] }
        #expect(Set(tokens).count == 2, "two clients' token 1 must not collide on the shared channel")
        let forA = try #require(sent.first { $0["params"]?["name"] == "a" })
        await peer.receive(
            JSONRPC.notification(
                method: "notifications/progress",
                params: ["progressToken": forA["params"]!["_meta"]!["progressToken"]!, "progress": 1]))
        for message in sent.reversed() {
            await peer.receive(JSONRPC.result(id: message["id"]!, ["echo": message["params"]!["name"]!]))
        }
        let (answerA, answerB) = try await (first, second)
        #expect(try answerA.get() == ["echo": "a"])
        #expect(try answerB.get() == ["echo": "b"])
        try await Task.sleep(for: .milliseconds(20))
        let progress = await log.notifications
        #expect(progress.count == 1 && progress.first?.params?["progressToken"] == 1)
    }

    @Test func cancellingTellsTheBackend() async throws {
        let (peer, wire) = makePeer()
        let task = Task { try await peer.request(method: "tools/call", params: ["name": "slow"], observer: SilentObserver()) }
        try await waitFor(wire, count: 1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        try await waitFor(wire, count: 2)
        let cancel = try #require(wire.messages().last)
        #expect(cancel["method"] == "notifications/cancelled")
        #expect(cancel["params"]?["requestId"] == wire.messages().first?["id"])
    }

    @Test func aClosedChannelFailsOpenAndLaterRequests() async throws {
        let (peer, wire) = makePeer()
        let task = Task { try await peer.request(method: "ping", params: nil, observer: SilentObserver()) }
        try await waitFor(wire, count: 1)
        await peer.close(.unreachable("the process exited"))
        await #expect(throws: BackendError.unreachable("the process exited")) { try await task.value }
        await #expect(throws: BackendError.self) {
            try await peer.request(method: "ping", params: nil, observer: SilentObserver())
        }
    }

    @Test func aServerRequestGoesToTheWaitingCallerAndIsAnswered() async throws {
        let (peer, wire) = makePeer()
        let log = ProgressLog()
        let task = Task { try await peer.request(method: "tools/call", params: ["name": "ask"], observer: log) }
        try await waitFor(wire, count: 1)
        await peer.receive(JSONRPC.request(id: "s1", method: "elicitation/create", params: ["message": "?"]))
        try await waitFor(wire, count: 2)
        #expect(wire.messages()[1] == JSONRPC.result(id: "s1", ["answered": true]))
        await peer.receive(JSONRPC.result(id: wire.messages()[0]["id"]!, [:]))
        _ = try await task.value
    }
}
