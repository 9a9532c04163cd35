/// The thresholds of the health state machine. Defaults follow the routing issue.
public struct HealthPolicy: Hashable, Sendable {
    /// Consecutive failures that open the circuit.
    public var consecutiveFailuresToEject: Int = 3
    /// The decayed failure share that opens the circuit once `minimumVolume` outcomes were seen.
    public var failureRatioToEject: Double = 0.5
    public var minimumVolume: Double = 10
    /// Half-life of the outcomes behind the failure ratio.
    public var failureRatioHalfLifeSeconds: Double = 60
    /// First ejection lasts this long; the n-th in a row lasts n times as long, up to
    /// `maxEjectionSeconds` (time in rotation wears n down: `TargetHealth.eject`).
    public var baseEjectionSeconds: Double = 30
    public var maxEjectionSeconds: Double = 300
    /// Consecutive successes that close the circuit again (half-open probing).
    public var successesToRecover: Int = 2
    /// How long to stay rate limited when a 429 carries no Retry-After.
    public var defaultRetryAfterSeconds: Double = 30
    /// After a failure, the next probe comes this fraction of the interval later, to confirm fast.
    public var confirmationIntervalFraction: Double = 0.25

    public init() {}

    /// The length of the `count`-th ejection (1-based).
    public func ejectionSeconds(forCount count: Int) -> Double {
        min(baseEjectionSeconds * Double(max(count, 1)), maxEjectionSeconds)
    }
}
