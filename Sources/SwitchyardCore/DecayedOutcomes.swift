#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Success and failure counts that fade with a half-life, as of the last update.
/// The basis of the success posterior (scoring) and the failure ratio (ejection).
public struct DecayedOutcomes: Hashable, Sendable {
    public private(set) var successes = 0.0
    public private(set) var failures = 0.0
    private var updatedAt: Timestamp?

    public init() {}

    /// Adds one outcome of the given weight at `now` (out-of-order times are folded in without rewinding).
    public mutating func add(success: Bool, weight: Double, at now: Timestamp, halfLifeSeconds: Double) {
        let factor = decayFactor(to: now, halfLifeSeconds: halfLifeSeconds)
        successes *= factor
        failures *= factor
        if success { successes += weight } else { failures += weight }
        if updatedAt == nil || now > updatedAt! { updatedAt = now }
    }

    /// Both counts as they will have faded by `now`.
    public func counts(at now: Timestamp, halfLifeSeconds: Double) -> (successes: Double, failures: Double) {
        let factor = decayFactor(to: now, halfLifeSeconds: halfLifeSeconds)
        return (successes * factor, failures * factor)
    }

    /// Posterior mean success probability of a Beta(1, 1) prior: 0.5 with no data, never NaN.
    public func successProbability(at now: Timestamp, halfLifeSeconds: Double) -> Double {
        let (s, f) = counts(at: now, halfLifeSeconds: halfLifeSeconds)
        return (s + 1) / (s + f + 2)
    }

    /// The share of failures among the decayed outcomes, and their decayed volume.
    public func failureRatio(at now: Timestamp, halfLifeSeconds: Double) -> (ratio: Double, volume: Double) {
        let (s, f) = counts(at: now, halfLifeSeconds: halfLifeSeconds)
        let volume = s + f
        return (volume > 0 ? f / volume : 0, volume)
    }

    private func decayFactor(to now: Timestamp, halfLifeSeconds: Double) -> Double {
        guard let updatedAt, now > updatedAt, halfLifeSeconds > 0 else { return 1 }
        return exp2(-(now - updatedAt) / halfLifeSeconds)
    }
}
