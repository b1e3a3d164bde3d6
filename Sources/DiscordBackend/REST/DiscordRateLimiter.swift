/// Discord's rate limits, kept the way Discord documents them: a state per bucket (`X-RateLimit-Bucket`) and
/// top-level resource, a global cap of 50 requests per second, the global limit a 429 can impose, and a guard
/// that stops sending when 401/403/429 answers pile up (Discord bans an IP at 10,000 of them in 10 minutes).
///
/// The limiter decides and remembers; it does not sleep. Times are passed in, so tests need no clock.
public struct DiscordRateLimiter: Sendable {
    public enum Refusal: Error, Sendable, Equatable {
        /// Waiting would take longer than the limiter is allowed to wait.
        case rateLimited(retryAfter: Duration, global: Bool)
        /// Too many refused requests recently: sending more risks a ban of the whole address.
        case invalidRequestGuard(count: Int)
    }

    struct Bucket: Sendable {
        var remaining: Int
        var resetAt: ContinuousClock.Instant
    }

    public let maximumWait: Duration
    public let globalPerSecond: Int
    public let invalidRequestCeiling: Int
    static let invalidRequestWindow: Duration = .seconds(600)

    private var bucketOfTemplate: [String: String] = [:]
    private var buckets: [String: Bucket] = [:]
    private var globalBlockedUntil: ContinuousClock.Instant?
    /// When the last requests were (or will be) sent: at most `globalPerSecond` in any second.
    private var recentSends: [ContinuousClock.Instant] = []
    private var invalidRequests: [ContinuousClock.Instant] = []

    public init(maximumWait: Duration = .seconds(10), globalPerSecond: Int = 50, invalidRequestCeiling: Int = 5000) {
        self.maximumWait = maximumWait
        self.globalPerSecond = globalPerSecond
        self.invalidRequestCeiling = invalidRequestCeiling
    }

    func key(for route: DiscordRoute) -> String {
        "\(bucketOfTemplate[route.template] ?? route.template)|\(route.majorParameter)"
    }

    /// Reserves a slot for `route`: how long to wait before sending (zero to send now), or a refusal when the wait
    /// would be too long or the invalid-request guard has tripped.
    public mutating func reserve(_ route: DiscordRoute, now: ContinuousClock.Instant) throws(Refusal) -> Duration {
        invalidRequests.removeAll { now - $0 > Self.invalidRequestWindow }
        if invalidRequests.count >= invalidRequestCeiling { throw .invalidRequestGuard(count: invalidRequests.count) }

        var wait = Duration.zero
        var global = false
        if let blocked = globalBlockedUntil, blocked > now {
            wait = blocked - now
            global = true
        }
        recentSends.removeAll { now - $0 >= .seconds(1) }
        if recentSends.count >= globalPerSecond {
            let slot = recentSends[recentSends.count - globalPerSecond] + .seconds(1)
            if slot - now > wait {
                wait = slot - now
                global = true
            }
        }
        let bucketKey = key(for: route)
        if var bucket = buckets[bucketKey] {
            if bucket.resetAt <= now {
                buckets[bucketKey] = nil
            } else if bucket.remaining <= 0 {
                if bucket.resetAt - now > wait {
                    wait = bucket.resetAt - now
                    global = false
                }
            } else {
                bucket.remaining -= 1
                buckets[bucketKey] = bucket
            }
        }
        if wait > maximumWait { throw .rateLimited(retryAfter: wait, global: global) }
        recentSends.append(now + wait)
        return wait
    }

    /// Learns from an answer: the bucket's headers, a 429's `retry_after`, and whether it counts as invalid.
    /// `headers` names are lower case.
    public mutating func record(
        _ route: DiscordRoute, status: Int, headers: [String: String], retryAfter: Double?, global: Bool,
        now: ContinuousClock.Instant
    ) {
        if let hash = headers["x-ratelimit-bucket"], !hash.isEmpty {
            bucketOfTemplate[route.template] = hash
        }
        let bucketKey = key(for: route)
        if let remaining = headers["x-ratelimit-remaining"].flatMap(Int.init),
            let resetAfter = headers["x-ratelimit-reset-after"].flatMap(Double.init)
        {
            buckets[bucketKey] = Bucket(remaining: remaining, resetAt: now + .milliseconds(Int64(resetAfter * 1000)))
        }
        if status == 429 {
            let delay = Duration.milliseconds(Int64((retryAfter ?? 1) * 1000))
            if global || headers["x-ratelimit-global"] == "true" {
                globalBlockedUntil = now + delay
            } else {
                buckets[bucketKey] = Bucket(remaining: 0, resetAt: now + delay)
            }
        }
        // Discord does not count 429s of a shared resource limit against the caller.
        let shared = headers["x-ratelimit-scope"] == "shared"
        if status == 401 || status == 403 || (status == 429 && !shared) {
            invalidRequests.append(now)
        }
    }
}
