import MCPCore
import Synchronization
import Testing

@testable import MCPBackends

/// Calls spread over a pool's instances by the fewest in flight; an instance that is not running starts first.
struct InstancePoolTests {
    final class Instance: Backend {
        let name: String
        let calls = Mutex(0)
        let connects = Mutex(0)
        let running = Mutex(true)
        let gate: AsyncStream<Void>
        let open: AsyncStream<Void>.Continuation

        init(_ name: String) {
            self.name = name
            (gate, open) = AsyncStream.makeStream()
        }

        func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
            connects.withLock { $0 += 1 }
            running.withLock { $0 = true }
            return BackendDescription(
                era: .handshake(version: "2025-11-25"), serverInfo: nil, capabilities: [:], instructions: nil)
        }

        func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
            JSONValue, JSONRPC.Failure
        > {
            guard running.withLock({ $0 }) else { throw BackendError.unreachable("the process is not running") }
            calls.withLock { $0 += 1 }
            if request.method == "slow" { for await _ in gate { break } }
            return .success(.string(name))
        }

        func endSession(_ key: String) async {}
        func shutdown() async {}
    }

    @Test func aCallGoesToTheLeastBusyInstance() async throws {
        let (first, second) = (Instance("first"), Instance("second"))
        let pool = InstancePool([first, second])
        _ = try await pool.connect(notifications: { _ in })
        let slow = Task { try await pool.send(BackendRequest(method: "slow", params: [:]), observer: SilentObserver()) }
        while first.calls.withLock({ $0 }) == 0 { await Task.yield() }
        // The first is busy with the slow call: the next goes to the second.
        #expect(try await pool.send(BackendRequest(method: "quick", params: [:]), observer: SilentObserver()).get() == "second")
        first.open.yield()
        #expect(try await slow.value.get() == "first")
        // A stopped instance is started again before it is asked.
        first.running.withLock { $0 = false }
        #expect(try await pool.send(BackendRequest(method: "quick", params: [:]), observer: SilentObserver()).get() == "first")
        #expect(first.connects.withLock { $0 } == 2)
    }
}
