/// Running statistics of one target: a time-decayed success posterior and latency windows.
public struct TargetStats: Hashable, Sendable {
    /// Decayed outcomes behind the success posterior.
    public private(set) var outcomes = DecayedOutcomes()
    public private(set) var total = SampleWindow()
    public private(set) var ttft = SampleWindow()
    public private(set) var tokensPerSecond = SampleWindow(capacity: 64)
    /// Seconds of compute per second of audio of successful speech requests that said their audio length.
    public private(set) var computePerAudioSecond = SampleWindow(capacity: 64)
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
    /// The figures `measurementReasons` shows, as shown: when a sample leaves them as they
    /// were (a full window whose rounded p50 did not move), nothing is formatted again.
    private var shownFigures: ShownFigures?
    /// The catalog's figures, weighed until local samples outweigh them (discovered targets only).
    public private(set) var prior: CatalogPrior?
    /// What the ranker reads: each figure's local p50 blended with the prior (`CatalogPrior`),
    /// recomputed when a sample or the prior changes. Nil when neither knows the figure.
    public private(set) var latencyEstimate: Double?
    public private(set) var ttftEstimate: Double?
    public private(set) var tokensPerSecondEstimate: Double?

    public init() {}

    /// Replaces the catalog prior (a refresh that changed the published figures); local samples stay.
    public mutating func setPrior(_ prior: CatalogPrior?) {
        guard prior != self.prior else { return }
        self.prior = prior
        shownFigures = nil  // the catalog's part of the reasons changed
        refreshEstimates()
    }

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
                // Under a millisecond of generation is no measure of speed (it gave rates past Int.max).
                let generation = observation.totalSeconds - (observation.ttftSeconds ?? 0)
                if generation >= 0.001 { tokensPerSecond.add(Double(tokens) / generation) }
            }
            if let audio = observation.audioSeconds, audio >= 0.01 { computePerAudioSecond.add(observation.totalSeconds / audio) }
            refreshEstimates()
        case .failure(let errorClass):
            guard errorClass.countsAgainstHealth else { return }
            outcomes.add(success: false, weight: weight, at: now, halfLifeSeconds: halfLifeSeconds)
            failureSeconds.add(observation.totalSeconds)
            lastError = errorClass
            lastErrorMessage = observation.message
            lastErrorAt = now
        }
    }

    private mutating func refreshEstimates() {
        latencyEstimate = prior?.blend(prior?.totalSeconds, with: total) ?? total.p50
        ttftEstimate = prior?.blend(prior?.ttftSeconds, with: ttft) ?? ttft.p50
        tokensPerSecondEstimate = prior?.blend(prior?.tokensPerSecond, with: tokensPerSecond) ?? tokensPerSecond.p50
        let figures = ShownFigures(self)
        guard figures != shownFigures else { return }
        shownFigures = figures
        measurementReasons = describeMeasurements()
    }

    /// Each figure as measured, or, while the catalog still weighs, as estimated with "(catalog)"
    /// or "(catalog X blended with n local samples)".
    private func describeMeasurements() -> [String] {
        var reasons: [String] = []
        let ms = { (seconds: Double) in "\(Int(saturating: seconds * 1000)) ms" }
        if let prior, prior.weighs(prior.totalSeconds, samples: total.count), let estimate = latencyEstimate {
            reasons.append("latency \(ms(estimate)) (\(Self.catalogNote(prior.totalSeconds.map(ms), samples: total.count)))")
        } else if let p50 = total.p50 {
            reasons.append("p50 latency \(ms(p50)) over \(total.count) samples")
        }
        if let prior, prior.weighs(prior.ttftSeconds, samples: ttft.count), let estimate = ttftEstimate {
            reasons.append("ttft \(ms(estimate)) (\(Self.catalogNote(prior.ttftSeconds.map(ms), samples: ttft.count)))")
        } else if let p50 = ttft.p50 {
            reasons.append("p50 TTFT \(ms(p50)) over \(ttft.count) samples")
        }
        if let prior, prior.weighs(prior.tokensPerSecond, samples: tokensPerSecond.count), let estimate = tokensPerSecondEstimate {
            let published = prior.tokensPerSecond.map { "\(Int(saturating: $0))/s" }
            reasons.append("\(Int(saturating: estimate)) output tokens/s (\(Self.catalogNote(published, samples: tokensPerSecond.count)))")
        } else if let rate = tokensPerSecond.p50 {
            reasons.append("\(Int(saturating: rate)) output tokens/s")
        }
        return reasons
    }

    /// The figures the reasons print, rounded as printed, with the sample counts they cite.
    private struct ShownFigures: Hashable {
        var latencyMilliseconds, ttftMilliseconds, tokensPerSecond: Int?
        var latencySamples, ttftSamples, tokensPerSecondSamples: Int

        init(_ stats: TargetStats) {
            let milliseconds = { (seconds: Double?) in seconds.map { Int(saturating: $0 * 1000) } }
            latencyMilliseconds = milliseconds(stats.latencyEstimate)
            ttftMilliseconds = milliseconds(stats.ttftEstimate)
            tokensPerSecond = stats.tokensPerSecondEstimate.map { Int(saturating: $0) }
            (latencySamples, ttftSamples, tokensPerSecondSamples) = (stats.total.count, stats.ttft.count, stats.tokensPerSecond.count)
        }
    }

    /// "catalog" before any local sample, "catalog 420 ms blended with 1 local sample" after.
    private static func catalogNote(_ published: String?, samples: Int) -> String {
        guard samples > 0, let published else { return "catalog" }
        return "catalog \(published) blended with \(samples) local sample\(samples == 1 ? "" : "s")"
    }

    /// Posterior mean success probability at `now`, with decay applied: in (0, 1).
    public func successProbability(at now: Timestamp, halfLifeSeconds: Double) -> Double {
        outcomes.successProbability(at: now, halfLifeSeconds: halfLifeSeconds)
    }
}
