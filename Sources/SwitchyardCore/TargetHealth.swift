/// The per-target health state machine: a value that folds observations and returns
/// the transition it made, if any. The caller records transitions; nothing here does I/O.
public struct TargetHealth: Hashable, Sendable {
    public private(set) var state: TargetState = .unknown
    public private(set) var since: Timestamp
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    /// How many times in a row the circuit has opened; grows the ejection time. Time in
    /// rotation after an ejection wears it down (see `eject`).
    public private(set) var ejectionCount = 0
    /// When the target last came back from an ejection (nil while ejected, or never ejected).
    public private(set) var returnedAt: Timestamp?
    /// While ejected: the earliest time a half-open probe may close the circuit.
    public private(set) var ejectedUntil: Timestamp?
    /// While rate limited: when the provider said to come back.
    public private(set) var retryAt: Timestamp?
    public private(set) var lastFailure: ErrorClass?
    /// The fleet host whose shared observation was the last failure; nil when this host saw it.
    public private(set) var lastFailureSeenBy: String?
    /// Outcomes since the circuit last opened, for the failure-ratio rule.
    public private(set) var recentOutcomes = DecayedOutcomes()
    /// The state before an admin drained the target, restored on undrain.
    private var stateBeforeDrain: TargetState?

    public init(since: Timestamp) { self.since = since }

    /// The time at which the target is expected to be usable again, when it is not now.
    public var expectedRecovery: Timestamp? {
        switch state {
        case .ejected: ejectedUntil
        case .rateLimited: retryAt
        default: nil
        }
    }

    /// When the next probe is worth making, for a target probed every `interval` seconds
    /// whose last probe finished at `now`: the half-open probe when the ejection ends, the
    /// retry time when rate limited, sooner after a fresh failure (to confirm it), else one interval.
    public func nextProbe(after now: Timestamp, interval: Double, policy: HealthPolicy) -> Timestamp {
        // Never sooner than this, whatever a provider's Retry-After says: a confirming probe
        // must not follow the last one back to back (and a `Retry-After: 0` must not loop).
        let soonest = now + max(1, interval * policy.confirmationIntervalFraction)
        switch state {
        case .ejected:
            // The half-open probe when the ejection ends; its confirmation a quarter interval later.
            if let until = ejectedUntil, until > now { return until }
            return soonest
        case .rateLimited:
            return max(retryAt ?? now + interval, soonest)
        case .degraded, .healthy, .unknown, .draining:
            let confirming = consecutiveFailures > 0 && consecutiveFailures < policy.consecutiveFailuresToEject
            return now + (confirming ? interval * policy.confirmationIntervalFraction : interval)
        }
    }

    /// Folds one observation in; returns the transition when the state changed.
    /// `weight` counts a real-traffic report more than a probe in the failure ratio.
    public mutating func observe(_ observation: Observation, policy: HealthPolicy, weight: Double = 1) -> Transition? {
        let now = observation.finishedAt
        switch observation.outcome {
        case .ok:
            recentOutcomes.add(success: true, weight: weight, at: now, halfLifeSeconds: policy.failureRatioHalfLifeSeconds)
            return recordSuccess(at: now, target: observation.target, policy: policy)
        case .failure(let errorClass) where errorClass.countsAgainstHealth:
            recentOutcomes.add(success: false, weight: weight, at: now, halfLifeSeconds: policy.failureRatioHalfLifeSeconds)
            return recordFailure(errorClass, observation: observation, at: now, policy: policy)
        case .failure:
            return nil
        }
    }

    /// A catalog published `status: error` for the target: an unknown or healthy target starts
    /// (or turns) degraded, and leaves it by the normal rules (`successesToRecover` successes).
    public mutating func catalogReportsError(target: Target, at now: Timestamp) -> Transition? {
        guard state == .unknown || state == .healthy else { return nil }
        consecutiveSuccesses = 0
        return move(target, to: .degraded, at: now, reason: "the catalog reports status error")
    }

    /// Puts the target out of rotation on an admin's request.
    public mutating func drain(target: Target, at now: Timestamp, by caller: String) -> Transition? {
        guard state != .draining else { return nil }
        stateBeforeDrain = state
        return move(target, to: .draining, at: now, reason: "drained by \(caller)")
    }

    /// Returns a drained target to the state it had before.
    public mutating func undrain(target: Target, at now: Timestamp, by caller: String) -> Transition? {
        guard state == .draining else { return nil }
        let previous = stateBeforeDrain ?? .unknown
        stateBeforeDrain = nil
        return move(target, to: previous, at: now, reason: "undrained by \(caller)")
    }

    private mutating func recordSuccess(at now: Timestamp, target: Target, policy: HealthPolicy) -> Transition? {
        consecutiveFailures = 0
        consecutiveSuccesses += 1
        switch state {
        case .draining:
            if stateBeforeDrain == .unknown { stateBeforeDrain = .healthy }
            return nil
        case .healthy:
            return nil
        case .unknown:
            return move(target, to: .healthy, at: now, reason: "first success")
        case .rateLimited:
            retryAt = nil
            return move(target, to: .healthy, at: now, reason: "success after rate limit")
        case .degraded:
            guard consecutiveSuccesses >= policy.successesToRecover else { return nil }
            return move(target, to: .healthy, at: now, reason: "\(consecutiveSuccesses) consecutive successes")
        case .ejected:
            if let until = ejectedUntil, now < until {
                consecutiveSuccesses = 0  // only half-open probes after the ejection time count
                return nil
            }
            guard consecutiveSuccesses >= policy.successesToRecover else { return nil }
            ejectedUntil = nil
            returnedAt = now
            return move(target, to: .healthy, at: now, reason: "recovered after \(consecutiveSuccesses) half-open successes")
        }
    }

    private mutating func recordFailure(
        _ errorClass: ErrorClass, observation: Observation, at now: Timestamp, policy: HealthPolicy
    ) -> Transition? {
        consecutiveSuccesses = 0
        consecutiveFailures += 1
        lastFailure = errorClass
        lastFailureSeenBy = observation.seenBy
        let target = observation.target

        if state == .draining {
            // Keep judging while drained: undrain returns a target that kept failing as degraded,
            // not as the healthy target it was when the admin drained it.
            if stateBeforeDrain == .healthy || stateBeforeDrain == .unknown { stateBeforeDrain = .degraded }
            return nil
        }
        if state == .ejected {
            // A failure while ejected (including a failed half-open probe) extends the ejection by
            // the base time: the target is still down, and is looked at again that soon. (By the
            // current, grown length, outages that recur on a period of that length kept a mostly
            // healthy target out for good: every half-open probe fell into the next outage.)
            // A rate limit extends it to the provider's Retry-After at least.
            let extended = errorClass == .rateLimited
                ? (observation.retryAt ?? now + policy.defaultRetryAfterSeconds)
                : now + policy.baseEjectionSeconds
            ejectedUntil = max(ejectedUntil ?? now, extended)
            return nil
        }
        if errorClass == .rateLimited {
            let until = observation.retryAt ?? (now + policy.defaultRetryAfterSeconds)
            let later = max(until, retryAt ?? until)
            retryAt = later
            guard state != .rateLimited else { return nil }
            return move(target, to: .rateLimited, at: now, reason: "rate limited until \(later.timeOfDay)")
        }
        if consecutiveFailures >= policy.consecutiveFailuresToEject {
            return eject(target, at: now, policy: policy, because: "\(consecutiveFailures) consecutive failures (last: \(errorClass.rawValue))")
        }
        let (ratio, volume) = recentOutcomes.failureRatio(at: now, halfLifeSeconds: policy.failureRatioHalfLifeSeconds)
        if volume >= policy.minimumVolume, ratio >= policy.failureRatioToEject {
            return eject(target, at: now, policy: policy, because: "a \(Int((ratio * 100).rounded()))% failure rate over \(Int(volume.rounded())) recent requests")
        }
        guard state != .degraded else { return nil }
        return move(target, to: .degraded, at: now, reason: "\(errorClass.rawValue) failure")
    }

    private mutating func eject(_ target: Target, at now: Timestamp, policy: HealthPolicy, because cause: String) -> Transition {
        // Each whole base ejection time the target served since it last came back takes one
        // ejection off the count: one that fails again at once is ejected for longer each time,
        // one that fails now and then starts from the base again.
        if let returnedAt {
            let served = max(0, now - returnedAt)
            ejectionCount -= Int(min(served / policy.baseEjectionSeconds, Double(ejectionCount)))
        }
        returnedAt = nil
        ejectionCount += 1
        let seconds = policy.ejectionSeconds(forCount: ejectionCount)
        ejectedUntil = now + seconds
        retryAt = nil
        recentOutcomes = DecayedOutcomes()
        return move(target, to: .ejected, at: now, reason: "ejected for \(Int(seconds))s after \(cause)")
    }

    private mutating func move(_ target: Target, to newState: TargetState, at now: Timestamp, reason: String) -> Transition {
        let transition = Transition(target: target, from: state, to: newState, at: now, reason: reason)
        state = newState
        since = now
        return transition
    }
}
