/// Fails calls fast once a backend has failed repeatedly, and lets one trial through after a cool-down.
struct CircuitBreaker: Sendable {
    enum Decision: Equatable {
        case allow
        /// Refused without asking the backend; it may be tried again after this long.
        case refuse(retryAfter: Duration)
    }

    let failureThreshold: Int
    let initialCooldown: Duration
    let maximumCooldown: Duration
    private(set) var consecutiveFailures = 0
    private var cooldown: Duration
    private var openUntil: ContinuousClock.Instant?
    private var trialInFlight = false

    init(failureThreshold: Int = 3, initialCooldown: Duration = .seconds(2), maximumCooldown: Duration = .seconds(60)) {
        self.failureThreshold = failureThreshold
        self.initialCooldown = initialCooldown
        self.maximumCooldown = maximumCooldown
        self.cooldown = initialCooldown
    }

    var isOpen: Bool { openUntil != nil }

    /// Whether to ask the backend now. After the cool-down exactly one caller gets through (half-open).
    mutating func decide(now: ContinuousClock.Instant = .now) -> Decision {
        guard let until = openUntil else { return .allow }
        if now < until || trialInFlight { return .refuse(retryAfter: max(until - now, .zero)) }
        trialInFlight = true
        return .allow
    }

    mutating func recordSuccess() {
        consecutiveFailures = 0
        cooldown = initialCooldown
        openUntil = nil
        trialInFlight = false
    }

    mutating func recordFailure(now: ContinuousClock.Instant = .now) {
        consecutiveFailures += 1
        if openUntil != nil {
            // The half-open trial failed: stay open, longer.
            cooldown = min(cooldown * 2, maximumCooldown)
            openUntil = now + cooldown
        } else if consecutiveFailures >= failureThreshold {
            openUntil = now + cooldown
        }
        trialInFlight = false
    }
}
