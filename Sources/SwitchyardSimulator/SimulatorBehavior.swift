/// How a simulated provider behaves right now. Switchable at run time over
/// `PUT /_sim/behavior`, so a test or the demo can inject a fault mid-run.
public struct SimulatorBehavior: Codable, Hashable, Sendable {
    /// A fault applied to every request, on top of the random error rate.
    public enum Fault: String, Codable, Hashable, Sendable, CaseIterable {
        case none
        /// Answer 500.
        case serverError = "server_error"
        /// Answer 429 with `Retry-After`.
        case rateLimited = "rate_limited"
        /// Answer 401.
        case unauthorized
        /// Never answer.
        case hang
        /// 200 with a body that is not JSON.
        case garbage
    }

    /// Models this provider serves (ids as the provider knows them).
    public var models: [String]
    /// Base latency of every answer, in milliseconds, plus up to `jitterMs`.
    public var latencyMs: Double
    public var jitterMs: Double
    /// Probability that a request fails with 500.
    public var errorRate: Double
    public var fault: Fault
    public var retryAfterSeconds: Int
    /// Flapping: when set, the provider answers 500 for `outageSeconds` out of every `outagePeriodSeconds`.
    public var outagePeriodSeconds: Double?
    public var outageSeconds: Double?
    /// Price the simulator reports in `usage` terms: tokens per answer.
    public var completionTokens: Int

    public init(models: [String], latencyMs: Double = 20, jitterMs: Double = 0, errorRate: Double = 0, fault: Fault = .none,
                retryAfterSeconds: Int = 5, outagePeriodSeconds: Double? = nil, outageSeconds: Double? = nil, completionTokens: Int = 8) {
        self.models = models
        self.latencyMs = latencyMs
        self.jitterMs = jitterMs
        self.errorRate = errorRate
        self.fault = fault
        self.retryAfterSeconds = retryAfterSeconds
        self.outagePeriodSeconds = outagePeriodSeconds
        self.outageSeconds = outageSeconds
        self.completionTokens = completionTokens
    }

    /// Whether a flapping provider is in its outage phase `secondsSinceStart` after it started.
    public func inOutage(secondsSinceStart: Double) -> Bool {
        guard let period = outagePeriodSeconds, let outage = outageSeconds, period > 0 else { return false }
        return secondsSinceStart.truncatingRemainder(dividingBy: period) >= period - outage
    }

    enum CodingKeys: String, CodingKey {
        case models, fault
        case latencyMs = "latency_ms"
        case jitterMs = "jitter_ms"
        case errorRate = "error_rate"
        case retryAfterSeconds = "retry_after_seconds"
        case outagePeriodSeconds = "outage_period_seconds"
        case outageSeconds = "outage_seconds"
        case completionTokens = "completion_tokens"
    }
}

/// A small seeded generator (SplitMix64): the same seed gives the same faults.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
