/// The per-target health state machine: a value that folds observations and returns
/// the transition it made, if any. The caller records transitions; nothing here does I/O.
public struct TargetHealth: Hashable, Sendable {
    public private(set) var state: TargetState = .unknown
    public private(set) var since: Timestamp
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    /// How many times the circuit has opened; grows the ejection time.
    public private(set) var ejectionCount = 0
    /// While ejected: the earliest time a half-open probe may close the circuit.
    public private(set) var ejectedUntil: Timestamp?
    /// While rate limited: when the provider said to come back.
    public private(set) var retryAt: Timestamp?
    public private(set) var lastFailure: ErrorClass?
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

    /// Folds one observation in; returns the transition when the state changed.
    public mutating func observe(_ observation: Observation, policy: HealthPolicy) -> Transition? {
        let now = observation.finishedAt
        switch observation.outcome {
        case .ok:
            return recordSuccess(at: now, target: observation.target, policy: policy)
        case .failure(let errorClass) where errorClass.countsAgainstHealth:
            return recordFailure(errorClass, observation: observation, at: now, policy: policy)
        case .failure:
            return nil
        }
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
            stateBeforeDrain = .healthy
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
            return move(target, to: .healthy, at: now, reason: "recovered after \(consecutiveSuccesses) half-open successes")
        }
    }

    private mutating func recordFailure(
        _ errorClass: ErrorClass, observation: Observation, at now: Timestamp, policy: HealthPolicy
    ) -> Transition? {
        consecutiveSuccesses = 0
        consecutiveFailures += 1
        lastFailure = errorClass
        let target = observation.target

        if state == .draining {
            return nil
        }
        if errorClass == .rateLimited {
            let until = observation.retryAt ?? (now + policy.defaultRetryAfterSeconds)
            retryAt = max(until, retryAt ?? until)
            guard state != .rateLimited else { return nil }
            return move(target, to: .rateLimited, at: now, reason: "rate limited until \(retryAt!.timeOfDay)")
        }
        if state == .ejected {
            // A failure while ejected (including a failed half-open probe) extends the ejection.
            ejectedUntil = now + policy.ejectionSeconds(forCount: ejectionCount)
            return nil
        }
        if consecutiveFailures >= policy.consecutiveFailuresToEject {
            ejectionCount += 1
            let seconds = policy.ejectionSeconds(forCount: ejectionCount)
            ejectedUntil = now + seconds
            retryAt = nil
            return move(
                target, to: .ejected, at: now,
                reason: "ejected for \(Int(seconds))s after \(consecutiveFailures) consecutive failures (last: \(errorClass.rawValue))"
            )
        }
        guard state != .degraded else { return nil }
        return move(target, to: .degraded, at: now, reason: "\(errorClass.rawValue) failure")
    }

    private mutating func move(_ target: Target, to newState: TargetState, at now: Timestamp, reason: String) -> Transition {
        let transition = Transition(target: target, from: state, to: newState, at: now, reason: reason)
        state = newState
        since = now
        return transition
    }
}
