/// Running statistics of one target: a time-decayed success posterior and latency windows.
public struct TargetStats: Hashable, Sendable {
    /// Decayed counts of a Beta(1, 1) posterior: never NaN, 0.5 with no samples.
    public private(set) var decayedSuccesses = 0.0
    public private(set) var decayedFailures = 0.0
    private var decayedAt: Timestamp?
    public private(set) var total = SampleWindow()
    public private(set) var ttft = SampleWindow()
    public private(set) var tokensPerSecond = SampleWindow(capacity: 64)
    /// Mean seconds a failed request costs before the caller can fail over.
    public private(set) var failureSeconds = SampleWindow(capacity: 32)
    public private(set) var samples = 0
    public private(set) var lastObservedAt: Timestamp?
    public private(set) var lastError: ErrorClass?
    public private(set) var lastErrorMessage: String?
    public private(set) var lastErrorAt: Timestamp?

    public init() {}

    /// Folds one observation in with the given weight (reports count more than probes).
    public mutating func record(_ observation: Observation, weight: Double, halfLifeSeconds: Double) {
        let now = observation.finishedAt
        decay(to: now, halfLifeSeconds: halfLifeSeconds)
        samples += 1
        lastObservedAt = max(now, lastObservedAt ?? now)
        switch observation.outcome {
        case .ok:
            decayedSuccesses += weight
            total.add(observation.totalSeconds)
            if let ttftSeconds = observation.ttftSeconds { ttft.add(ttftSeconds) }
            if let tokens = observation.tokensOut, tokens > 0 {
                let generation = observation.totalSeconds - (observation.ttftSeconds ?? 0)
                if generation > 0 { tokensPerSecond.add(Double(tokens) / generation) }
            }
        case .failure(let errorClass):
            guard errorClass.countsAgainstHealth else { return }
            decayedFailures += weight
            failureSeconds.add(observation.totalSeconds)
            lastError = errorClass
            lastErrorMessage = observation.message
            lastErrorAt = now
        }
    }

    /// Posterior mean success probability at `now`, with decay applied: in (0, 1).
    public func successProbability(at now: Timestamp, halfLifeSeconds: Double) -> Double {
        let factor = decayFactor(from: decayedAt, to: now, halfLifeSeconds: halfLifeSeconds)
        let successes = decayedSuccesses * factor
        let failures = decayedFailures * factor
        return (successes + 1) / (successes + failures + 2)
    }

    /// The effective (decayed) number of observations behind the success estimate.
    public func effectiveVolume(at now: Timestamp, halfLifeSeconds: Double) -> Double {
        (decayedSuccesses + decayedFailures) * decayFactor(from: decayedAt, to: now, halfLifeSeconds: halfLifeSeconds)
    }

    private mutating func decay(to now: Timestamp, halfLifeSeconds: Double) {
        let factor = decayFactor(from: decayedAt, to: now, halfLifeSeconds: halfLifeSeconds)
        decayedSuccesses *= factor
        decayedFailures *= factor
        if decayedAt == nil || now > decayedAt! { decayedAt = now }
    }

    private func decayFactor(from then: Timestamp?, to now: Timestamp, halfLifeSeconds: Double) -> Double {
        guard let then, now > then, halfLifeSeconds > 0 else { return 1 }
        return pow2(-(now - then) / halfLifeSeconds)
    }
}

/// 2^x without Foundation.
func pow2(_ x: Double) -> Double {
    // exp2 is in the C library on every platform Swift runs on.
    exp2(x)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
