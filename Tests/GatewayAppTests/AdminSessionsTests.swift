import Foundation
import Testing

@testable import GatewayApp

@Suite struct AdminSessionsTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aSessionLivesWhileUsedAndEndsAfterItsIdleTime() async {
        let sessions = AdminSessions(idleTimeout: 60, absoluteTimeout: 3600)
        let (id, created) = await sessions.create(now: start)
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(50))?.csrfToken == created.csrfToken)
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(100)) != nil, "the use at 50 s restarted the clock")
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(161)) == nil)
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(162)) == nil)
    }

    @Test func aSessionEndsAtItsAbsoluteLimitEvenWhenUsed() async {
        let sessions = AdminSessions(idleTimeout: 60, absoluteTimeout: 150)
        let (id, _) = await sessions.create(now: start)
        for second in stride(from: 50, through: 100, by: 50) {
            #expect(await sessions.session(id: id, now: start.addingTimeInterval(TimeInterval(second))) != nil)
        }
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(151)) == nil)
    }

    @Test func endedAndUnknownSessionsAreRefused() async {
        let sessions = AdminSessions()
        let (id, _) = await sessions.create(now: start)
        let (other, _) = await sessions.create(now: start)
        await sessions.end(id: id)
        #expect(await sessions.session(id: id, now: start) == nil)
        #expect(await sessions.session(id: "made-up", now: start) == nil)
        #expect(await sessions.session(id: other, now: start) != nil)
    }
}
