/// Caps one caller's weight in a target's health: a client's reports alone never eject,
/// degrade or rate-limit a target, nor keep one up whose probes fail. A value per target,
/// in front of `TargetHealth`: it decides which observations the state machine sees, and when.
///
/// - A failure report that would worsen the target (or comes while others wait) is held, and
///   the first one held asks for a probe at once. The probe decides: a failing probe releases
///   the held failures before itself (they count, and the transition names their callers); a
///   successful one drops them. Failure reports from a second caller confirm the held ones too.
/// - While the latest probe failed, success reports are held the same way: a successful probe
///   (or a second caller) releases them; a failing probe drops them.
/// - Reports that agree with the latest probe pass at once; a success that passes drops the
///   failures held from before it (they would otherwise be released after it, out of order).
/// - A failure the gateway saw first-hand (`chargedToReporter`) while the latest probe did not
///   fail asks for a probe and demotes the target (`demoted(at:)`: routes try it after the
///   others) until that probe answers, for at most `demotionSeconds`. A probe that refutes it
///   bars new demotions for `demotionBarSeconds`, so one caller's traffic steers routing for
///   others at most `demotionSeconds` in every `demotionBarSeconds`.
public struct ReportCorroboration: Hashable, Sendable {
    /// Reports waiting for confirmation, oldest first.
    public private(set) var held: [Observation] = []
    /// Whether the latest probe that counted failed.
    public private(set) var lastProbeFailed = false
    /// Whether a confirming probe was asked for and has not come back.
    public private(set) var probeRequested = false
    /// The most reports held per target; beyond it the oldest go (they only ever add weight to one side).
    public static let maxHeld = 64
    /// When the current demotion ends at the latest (nil: not demoted).
    public private(set) var demotedUntil: Timestamp?
    /// Until when a refuted demotion bars a new one.
    public private(set) var demotionBarredUntil: Timestamp?
    /// The longest a first-hand gateway failure demotes a target without a probe confirming it.
    public static let demotionSeconds: Double = 5
    /// How long a probe that refuted a demotion bars the next one.
    public static let demotionBarSeconds: Double = 30

    /// Whether routes should try this target after the others at `now`.
    public func demoted(at now: Timestamp) -> Bool {
        demotedUntil.map { now < $0 } ?? false
    }

    /// What to do with an observation.
    public struct Decision: Hashable, Sendable {
        /// Fold these into the state machine now, in order.
        public var apply: [Observation]
        /// Whether to probe the target at once, to confirm or refute what was held.
        public var probeNow: Bool
        /// Whether a probe's outcome released held reports (the transitions say "confirmed by a probe").
        public var confirmedByProbe: Bool

        public init(apply: [Observation], probeNow: Bool = false, confirmedByProbe: Bool = false) {
            self.apply = apply
            self.probeNow = probeNow
            self.confirmedByProbe = confirmedByProbe
        }
    }

    public init() {}

    /// Decides what `observation` does to a target whose state machine is `health` now.
    public mutating func admit(_ observation: Observation, health: TargetHealth, policy: HealthPolicy, weight: Double) -> Decision {
        guard let failed = observation.outcome.healthVerdict else { return Decision(apply: [observation]) }
        switch observation.source {
        case .probe:
            if !failed, demotedUntil != nil {
                // Refuted: lifted now, and no new demotion for a while.
                demotionBarredUntil = observation.finishedAt + Self.demotionBarSeconds
            }
            if !failed { demotedUntil = nil }
            lastProbeFailed = failed
            probeRequested = false
            let confirmed = held.filter { $0.outcome.healthVerdict == failed }
            held = []
            return Decision(apply: confirmed + [observation], confirmedByProbe: !confirmed.isEmpty)
        case .report:
            let demote = failed && demote(after: observation)
            var decision = corroborate(observation, failed: failed, health: health, policy: policy, weight: weight)
            if demote, !decision.probeNow, !probeRequested {
                probeRequested = true
                decision.probeNow = true
            }
            return decision
        }
    }

    /// Starts a demotion for a first-hand gateway failure, unless one runs, the latest probe
    /// failed (health decides then) or a refuted one bars it. Says whether it did.
    private mutating func demote(after observation: Observation) -> Bool {
        let at = observation.finishedAt
        guard observation.chargedToReporter, !lastProbeFailed, !demoted(at: at),
              demotionBarredUntil.map({ at >= $0 }) ?? true else { return false }
        demotedUntil = at + Self.demotionSeconds
        return true
    }

    /// The trust rules for one report: held until a probe or a second caller confirms, or applied.
    private mutating func corroborate(_ observation: Observation, failed: Bool, health: TargetHealth, policy: HealthPolicy,
                                      weight: Double) -> Decision {
        let sameSide = held.filter { $0.outcome.healthVerdict == failed }
        let mustWait: Bool
        if failed {
            mustWait = !lastProbeFailed && (!sameSide.isEmpty || Self.worsens(observation, health: health, policy: policy, weight: weight))
        } else {
            mustWait = lastProbeFailed
        }
        guard mustWait else {
            if !failed {
                // This success breaks any streak the held failures before it would make: released
                // after it (by a failing probe) they would count out of order, as if nothing had answered since.
                held.removeAll { $0.outcome.healthVerdict == true && $0.finishedAt <= observation.finishedAt }
            }
            return Decision(apply: [observation])
        }
        let callers = Set((sameSide + [observation]).map(\.reporterLabel))
        if callers.count >= 2 {
            // A second caller says the same: together they are confirmation enough.
            held.removeAll { $0.outcome.healthVerdict == failed }
            return Decision(apply: sameSide + [observation])
        }
        held.append(observation)
        if held.count > Self.maxHeld { held.removeFirst(held.count - Self.maxHeld) }
        let ask = failed && !probeRequested
        if ask { probeRequested = true }
        return Decision(apply: [], probeNow: ask)
    }

    /// Whether folding `observation` in would take the target out of rotation or keep it out longer.
    static func worsens(_ observation: Observation, health: TargetHealth, policy: HealthPolicy, weight: Double) -> Bool {
        var trial = health
        let transition = trial.observe(observation, policy: policy, weight: weight)
        if let transition { return [.degraded, .ejected, .rateLimited].contains(transition.to) }
        return trial.ejectedUntil != health.ejectedUntil || trial.retryAt != health.retryAt
    }
}

extension Outcome {
    /// Whether this outcome counts as a failure for health (true), a success (false), or not at all (nil).
    var healthVerdict: Bool? {
        switch self {
        case .ok: false
        case .failure(let errorClass): errorClass.countsAgainstHealth ? true : nil
        }
    }
}

extension Observation {
    /// The caller a report is attributed to, for counting distinct callers.
    var reporterLabel: String { reporter ?? "unattributed" }
}

extension Transition {
    /// The transition with the callers whose reports moved it named in its reason.
    func attributed(to reports: [Observation], confirmedByProbe: Bool) -> Transition {
        var callers: [String] = []
        for report in reports where report.source == .report {
            // A peer's report names the fleet host whose client sent it.
            let caller = report.reporterLabel + (report.seenBy.map { " (seen by host \($0))" } ?? "")
            if !callers.contains(caller) { callers.append(caller) }
        }
        guard !callers.isEmpty else { return self }
        var attributed = self
        attributed.reason += "; reported by \(callers.joined(separator: ", "))" + (confirmedByProbe ? ", confirmed by a probe" : "")
        return attributed
    }
}
