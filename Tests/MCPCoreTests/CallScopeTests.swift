import MCPCore
import Synchronization
import Testing

@Suite struct CallScopeTests {
    /// A task that runs until it is cancelled, and says whether it was.
    static func waitingTask() -> Task<Bool, Never> {
        Task {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            return true
        }
    }

    @Test func aStopCancelsTheTaskAndTheFirstReasonStays() async {
        let scope = CallScope()
        let task = Self.waitingTask()
        scope.attach(task)
        scope.stop(.clientGone)
        scope.stop(.shuttingDown)
        #expect(await task.value)
        #expect(scope.stopReason == .clientGone)
    }

    @Test func aScopeStoppedBeforeItsTaskCancelsTheTaskAtOnce() async {
        let scope = CallScope()
        scope.stop(.shuttingDown)
        let task = Self.waitingTask()
        scope.attach(task)
        #expect(await task.value)
    }

    @Test func aTimerStopsTheCallUnlessItFinishedFirst() async throws {
        let stopped = CallScope()
        let task = Self.waitingTask()
        stopped.attach(task)
        stopped.stop(.timedOut(.milliseconds(20)), after: .milliseconds(20))
        #expect(await task.value)
        #expect(stopped.stopReason == .timedOut(.milliseconds(20)))

        let finished = CallScope()
        let fired = Mutex(false)
        finished.schedule(after: .milliseconds(20)) { fired.withLock { $0 = true } }
        finished.finish()
        finished.stop(.clientGone)
        try await Task.sleep(for: .milliseconds(100))
        #expect(!fired.withLock { $0 }, "a finished call's timers are dropped")
        #expect(finished.stopReason == nil, "a finished call is not stopped")
    }

    @Test func withTimeoutCancelsASlowOperationAndPassesAFastOneThrough() async throws {
        await #expect(throws: TimeoutExpired.self) {
            try await withTimeout(.milliseconds(20)) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        #expect(try await withTimeout(.seconds(30)) { 7 } == 7)
        struct Failed: Error {}
        await #expect(throws: Failed.self) { try await withTimeout(.seconds(30)) { () throws -> Int in throw Failed() } }
    }

    @Test func durationsInTheirUnits() {
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.milliseconds(1500).milliseconds == 1500)
        #expect(Duration.microseconds(2500).fractionalMilliseconds == 2.5)
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
    }
}
