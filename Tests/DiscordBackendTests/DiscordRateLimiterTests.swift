import MCPCore
import Testing

@testable import DiscordBackend

@Suite struct DiscordRouteTests {
    @Test func minorIdsShareATemplateAndMajorIdsSplitBuckets() {
        let a = DiscordRoute("GET", "/channels/111111111111111111/messages/222222222222222222")
        let b = DiscordRoute("GET", "/channels/111111111111111111/messages/333333333333333333")
        let c = DiscordRoute("GET", "/channels/444444444444444444/messages/222222222222222222")
        #expect(a.template == b.template && a.template == c.template)
        #expect(a.template == "GET /channels/:id/messages/:id")
        #expect(DiscordRoute("POST", "/webhooks/555555555555555555/tok3n").template == "POST /webhooks/:id/:token")
        #expect(a.majorParameter == "channels/111111111111111111" && c.majorParameter == "channels/444444444444444444")
        #expect(DiscordRoute("POST", "/webhooks/555555555555555555/tok3n").majorParameter == "webhooks/555555555555555555/tok3n")
        #expect(DiscordRoute("GET", "/users/@me/guilds").majorParameter == "")
    }
}

@Suite struct DiscordRateLimiterTests {
    let route = DiscordRoute("POST", "/channels/111111111111111111/messages")
    let other = DiscordRoute("POST", "/channels/999999999999999999/messages")

    @Test func anEmptyBucketWaitsForItsResetAndOtherResourcesDoNot() throws {
        var limiter = DiscordRateLimiter()
        let now = ContinuousClock.now
        #expect(try limiter.reserve(route, now: now) == .zero)
        limiter.record(
            route, status: 200,
            headers: ["x-ratelimit-bucket": "abc", "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "1.5"],
            retryAfter: nil, global: false, now: now)
        #expect(try limiter.reserve(route, now: now) == .milliseconds(1500))
        #expect(try limiter.reserve(other, now: now) == .zero)
        #expect(try limiter.reserve(route, now: now + .seconds(2)) == .zero)
    }

    @Test func remainingCountsDownBeforeTheNextAnswer() throws {
        var limiter = DiscordRateLimiter()
        let now = ContinuousClock.now
        limiter.record(
            route, status: 200,
            headers: ["x-ratelimit-bucket": "abc", "x-ratelimit-remaining": "2", "x-ratelimit-reset-after": "1"],
            retryAfter: nil, global: false, now: now)
        #expect(try limiter.reserve(route, now: now) == .zero)
        #expect(try limiter.reserve(route, now: now) == .zero)
        #expect(try limiter.reserve(route, now: now) == .seconds(1))
    }

    @Test func aLongRetryAfterIsRefusedAndAGlobalOneBlocksEverything() {
        var limiter = DiscordRateLimiter(maximumWait: .seconds(5))
        let now = ContinuousClock.now
        limiter.record(route, status: 429, headers: [:], retryAfter: 60, global: false, now: now)
        #expect(throws: DiscordRateLimiter.Refusal.rateLimited(retryAfter: .seconds(60), global: false)) {
            try limiter.reserve(route, now: now)
        }
        limiter.record(other, status: 429, headers: ["x-ratelimit-global": "true"], retryAfter: 2, global: true, now: now)
        #expect(try! limiter.reserve(DiscordRoute("GET", "/users/@me"), now: now) == .seconds(2))
    }

    @Test func fiftyRequestsASecondAtMost() throws {
        var limiter = DiscordRateLimiter()
        let now = ContinuousClock.now
        for index in 0..<50 {
            let route = DiscordRoute("GET", "/channels/\(100_000_000_000_000_000 + index)")
            #expect(try limiter.reserve(route, now: now) == .zero)
        }
        #expect(try limiter.reserve(route, now: now) == .seconds(1))
    }

    @Test func piledUpRefusalsStopAllSending() {
        var limiter = DiscordRateLimiter(invalidRequestCeiling: 3)
        let now = ContinuousClock.now
        for status in [401, 403] { limiter.record(route, status: status, headers: [:], retryAfter: nil, global: false, now: now) }
        limiter.record(route, status: 429, headers: ["x-ratelimit-scope": "shared"], retryAfter: 0, global: false, now: now)
        #expect(throws: Never.self) { _ = try limiter.reserve(other, now: now) }
        limiter.record(route, status: 429, headers: [:], retryAfter: 0, global: false, now: now)
        #expect(throws: DiscordRateLimiter.Refusal.invalidRequestGuard(count: 3)) { try limiter.reserve(other, now: now) }
        #expect(throws: Never.self) { _ = try limiter.reserve(other, now: now + .seconds(601)) }
    }
}

@Suite struct DiscordLimitsTests {
    @Test func snowflakesContentAndLimits() {
        #expect(throws: Never.self) { try DiscordLimits.checkSnowflake("175928847299117063", field: "user_id") }
        #expect(throws: DiscordLimits.Violation.self) { try DiscordLimits.checkSnowflake("12ab", field: "user_id") }
        #expect(throws: Never.self) { try DiscordLimits.checkContent(String(repeating: "é", count: 2000)) }
        #expect(throws: DiscordLimits.Violation.self) { try DiscordLimits.checkContent(String(repeating: "x", count: 2001)) }
        #expect(throws: DiscordLimits.Violation.self) { try DiscordLimits.checkLimit(101, range: 1...100) }
        #expect(throws: DiscordLimits.Violation.self) { try DiscordLimits.checkTimeout(seconds: 29 * 24 * 3600) }
    }

    @Test func bulkDeleteTakesTwoToAHundredRecentMessages() throws {
        // 175928847299117063 was made in 2016 (Discord's documentation example).
        #expect(DiscordSnowflake.creationTime("175928847299117063")! < 1_500_000_000)
        let recent = ((Double(1_800_000_000) * 1000 - 1_420_070_400_000) * 4_194_304).rounded()
        let id = String(UInt64(recent))
        let id2 = String(UInt64(recent) + 1)
        #expect(throws: Never.self) { try DiscordLimits.checkBulkDelete([id, id2], now: 1_800_000_100) }
        #expect(throws: DiscordLimits.Violation.self) { try DiscordLimits.checkBulkDelete([id], now: 1_800_000_100) }
        #expect(throws: DiscordLimits.Violation.self) { try DiscordLimits.checkBulkDelete([id, id], now: 1_800_000_100) }
        #expect(throws: DiscordLimits.Violation.self) {
            try DiscordLimits.checkBulkDelete(["175928847299117063", id], now: 1_800_000_100)
        }
    }

    @Test func auditReasonsArePercentEncodedAndCapped() {
        #expect(DiscordLimits.auditLogReasonHeader("spam in #général") == "spam%20in%20%23g%C3%A9n%C3%A9ral")
        #expect(DiscordLimits.auditLogReasonHeader(String(repeating: "a", count: 600)).count == 512)
    }
}

@Suite struct DiscordErrorMessageTests {
    @Test func permissionErrorsNameTheAction() throws {
        let body = try JSONValue.parse(Array(#"{"code": 50013, "message": "Missing Permissions"}"#.utf8))
        #expect(
            DiscordErrorMessage.describe(status: 403, body: body, action: "delete the channel")
                == "Discord refused to delete the channel: the bot lacks a permission (50013 Missing Permissions)")
    }

    @Test func nestedFieldErrorsAreListed() throws {
        let body = try JSONValue.parse(
            Array(
                #"{"code": 50035, "message": "Invalid Form Body", "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}, "embeds": {"0": {"title": {"_errors": [{"message": "Too long."}]}}}}}"#
                    .utf8))
        let text = DiscordErrorMessage.describe(status: 400, body: body, action: "send the message")
        #expect(text.contains("content: Must be 2000 or fewer in length."))
        #expect(text.contains("embeds.0.title: Too long."))
    }

    @Test func aBodyWithoutACodeStillSaysWhatFailed() {
        #expect(
            DiscordErrorMessage.describe(status: 502, body: nil, action: "list the guilds")
                == "Discord answered HTTP 502 to list the guilds")
    }
}
