import Foundation
import MCPCore
import Testing

@Suite struct TimestampTests {
    let moment = Date(timeIntervalSince1970: 1_796_595_445.25)  // 2026-12-06T22:17:25.25Z

    @Test func writesUTCWithAndWithoutFractions() {
        #expect(Timestamp.string(moment) == "2026-12-06T22:17:25Z")
        #expect(Timestamp.stringWithFractionalSeconds(moment) == "2026-12-06T22:17:25.250Z")
    }

    @Test func readsZonesAndFractions() {
        #expect(Timestamp.date("2026-12-06T22:17:25Z") == Date(timeIntervalSince1970: 1_796_595_445))
        #expect(Timestamp.date("2026-12-06T23:17:25+01:00") == Date(timeIntervalSince1970: 1_796_595_445))
        #expect(Timestamp.date("2026-12-06T22:17:25.250Z") == moment)
        for bad in ["", "yesterday", "2026-12-06", "2026-13-06T22:17:25Z", "2026-12-06T22:17:25"] {
            #expect(Timestamp.date(bad) == nil, "\(bad)")
        }
    }
}
