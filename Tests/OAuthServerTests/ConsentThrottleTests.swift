import Foundation
import Testing

@testable import OAuthServer

@Suite struct ConsentThrottleTests {
    @Test func backsOffThenLocksOutAfterFiveFailures() async {
        let throttle = ConsentThrottle()
        let start = Date()
        var delays: [TimeInterval] = []
        for attempt in 0..<4 {
            guard
                case .slowDown(let delay) = await throttle.recordFailure(
                    "1.2.3.4", now: start.addingTimeInterval(Double(attempt)))
            else { Issue.record("locked out too early"); return }
            delays.append(delay)
        }
        #expect(delays == delays.sorted() && delays.last! <= 1)
        #expect(await throttle.retryAfter("1.2.3.4", now: start.addingTimeInterval(4)) == nil)
        #expect(await throttle.recordFailure("1.2.3.4", now: start.addingTimeInterval(4)) == .lockedOut(60))
        #expect(await throttle.retryAfter("1.2.3.4", now: start.addingTimeInterval(10)) == 54)
        #expect(await throttle.retryAfter("5.6.7.8", now: start.addingTimeInterval(10)) == nil)
        #expect(await throttle.retryAfter("1.2.3.4", now: start.addingTimeInterval(65)) == nil)
    }

    @Test func lockoutsDouble() async {
        let throttle = ConsentThrottle()
        var now = Date()
        for expected in [60.0, 120.0, 240.0] {
            var verdict = ConsentThrottle.Verdict.slowDown(0)
            for _ in 0..<5 { verdict = await throttle.recordFailure("k", now: now) }
            #expect(verdict == .lockedOut(expected))
            now = now.addingTimeInterval(expected + 1)
        }
    }

    @Test func successClearsTheRecord() async {
        let throttle = ConsentThrottle()
        let now = Date()
        for _ in 0..<4 { _ = await throttle.recordFailure("k", now: now) }
        await throttle.recordSuccess("k")
        #expect(await throttle.recordFailure("k", now: now) == .slowDown(0.2))
    }

    @Test func failuresOutsideTheWindowAreForgotten() async {
        let throttle = ConsentThrottle()
        let start = Date()
        for _ in 0..<4 { _ = await throttle.recordFailure("k", now: start) }
        #expect(await throttle.recordFailure("k", now: start.addingTimeInterval(16 * 60)) == .slowDown(0.2))
    }
}
