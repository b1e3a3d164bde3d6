import Foundation
import OperatorPages
import Testing

@Suite struct PageSessionsTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aSessionLivesWhileUsedAndEndsAfterItsIdleTime() async {
        let sessions = PageSessions(idleTimeout: 60, absoluteTimeout: 3600)
        let (id, created) = await sessions.create(now: start, passwordFingerprint: "p1")
        #expect(
            await sessions.session(id: id, now: start.addingTimeInterval(50), passwordFingerprint: "p1")?.csrfToken
                == created.csrfToken)
        #expect(
            await sessions.session(id: id, now: start.addingTimeInterval(100), passwordFingerprint: "p1") != nil,
            "the use at 50 s restarted the clock")
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(161), passwordFingerprint: "p1") == nil)
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(162), passwordFingerprint: "p1") == nil)
    }

    @Test func aSessionEndsAtItsAbsoluteLimitEvenWhenUsed() async {
        let sessions = PageSessions(idleTimeout: 60, absoluteTimeout: 150)
        let (id, _) = await sessions.create(now: start, passwordFingerprint: "p1")
        for second in stride(from: 50, through: 100, by: 50) {
            #expect(
                await sessions.session(id: id, now: start.addingTimeInterval(TimeInterval(second)), passwordFingerprint: "p1")
                    != nil)
        }
        #expect(await sessions.session(id: id, now: start.addingTimeInterval(151), passwordFingerprint: "p1") == nil)
    }

    @Test func endedAndUnknownSessionsAreRefused() async {
        let sessions = PageSessions()
        let (id, _) = await sessions.create(now: start, passwordFingerprint: "p1")
        let (other, _) = await sessions.create(now: start, passwordFingerprint: "p1")
        await sessions.end(id: id)
        #expect(await sessions.session(id: id, now: start, passwordFingerprint: "p1") == nil)
        #expect(await sessions.session(id: "made-up", now: start, passwordFingerprint: "p1") == nil)
        #expect(await sessions.session(id: other, now: start, passwordFingerprint: "p1") != nil)
    }

    @Test func aPasswordChangeEndsSessionsOpenedWithTheOldOne() async {
        let sessions = PageSessions()
        let (changer, _) = await sessions.create(now: start, passwordFingerprint: "old")
        let (other, _) = await sessions.create(now: start, passwordFingerprint: "old")
        await sessions.rebind(id: changer, passwordFingerprint: "new")
        #expect(await sessions.session(id: changer, now: start, passwordFingerprint: "new") != nil)
        #expect(await sessions.session(id: other, now: start, passwordFingerprint: "new") == nil)
        #expect(await sessions.session(id: other, now: start, passwordFingerprint: "old") == nil, "ended for good")
    }

    @Test func pastTheMaximumTheSessionIdleLongestEnds() async {
        let sessions = PageSessions(maximumSessions: 2)
        let (first, _) = await sessions.create(now: start, passwordFingerprint: "member", subject: "discord:1")
        let (second, _) = await sessions.create(
            now: start.addingTimeInterval(1), passwordFingerprint: "member", subject: "discord:2")
        #expect(
            await sessions.session(id: first, now: start.addingTimeInterval(2), passwordFingerprint: "member")?.subject
                == "discord:1")
        let (third, _) = await sessions.create(
            now: start.addingTimeInterval(3), passwordFingerprint: "member", subject: "discord:3")
        #expect(await sessions.session(id: second, now: start.addingTimeInterval(4), passwordFingerprint: "member") == nil)
        #expect(await sessions.session(id: first, now: start.addingTimeInterval(4), passwordFingerprint: "member") != nil)
        #expect(
            await sessions.session(id: third, now: start.addingTimeInterval(4), passwordFingerprint: "member")?.subject
                == "discord:3")
    }
}
