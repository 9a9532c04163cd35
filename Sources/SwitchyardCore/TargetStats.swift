/// Running statistics of one target: a time-decayed success posterior and latency windows.
public struct TargetStats: Hashable, Sendable {
    /// Decayed outcomes behind the success posterior.
    public private(set) var outcomes = DecayedOutcomes()
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
    /// "p50 latency 180 ms over 42 samples", …: rebuilt when a measurement arrives, so that
    /// answering a route (far more frequent than measuring) formats nothing.
    public private(set) var measurementReasons: [String] = []

    public init() {}

    /// Folds one observation in with the given weight (reports count more than probes).
    public mutating func record(_ observation: Observation, weight: Double, halfLifeSeconds: Double) {
        let now = observation.finishedAt
        samples += 1
        lastObservedAt = max(now, lastObservedAt ?? now)
        switch observation.outcome {
        case .ok:
            outcomes.add(success: true, weight: weight, at: now, halfLifeSeconds: halfLifeSeconds)
            total.add(observation.totalSeconds)
            if let ttftSeconds = observation.ttftSeconds { ttft.add(ttftSeconds) }
            if let tokens = observation.tokensOut, tokens > 0 {
                let generation = observation.totalSeconds - (observation.ttftSeconds ?? 0)
                if generation > 0 { tokensPerSecond.add(Double(tokens) / generation) }
            }
            measurementReasons = describeMeasurements()
        case .failure(let errorClass):
            guard errorClass.countsAgainstHealth else { return }
            outcomes.add(success: false, weight: weight, at: now, halfLifeSeconds: halfLifeSeconds)
            failureSeconds.add(observation.totalSeconds)
            lastError = errorClass
            lastErrorMessage = observation.message
            lastErrorAt = now
        }
    }

    private func describeMeasurements() -> [String] {
        var reasons: [String] = []
        if let p50 = total.p50 { reasons.append("p50 latency \(Int((p50 * 1000).rounded())) ms over \(total.count) samples") }
        if let p50 = ttft.p50 { reasons.append("p50 TTFT \(Int((p50 * 1000).rounded())) ms over \(ttft.count) samples") }
        if let rate = tokensPerSecond.p50 { reasons.append("\(Int(rate.rounded())) output tokens/s") }
        return reasons
    }

    /// Posterior mean success probability at `now`, with decay applied: in (0, 1).
    public func successProbability(at now: Timestamp, halfLifeSeconds: Double) -> Double {
        outcomes.successProbability(at: now, halfLifeSeconds: halfLifeSeconds)
    }
}
