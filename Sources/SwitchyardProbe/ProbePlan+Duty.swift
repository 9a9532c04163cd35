import SwitchyardCore

/// Probe duty in a fleet: the plan's gate for a completion probe whose slot was claimed.
/// The claim itself is I/O (the scheduler asks a `ProbeDuty`); what the answer means for
/// the probe is decided here, as a value.
extension ProbePlan {
    /// The claim a completion probe of `target` makes before it starts at `wallTime`.
    static func dutyClaim(for target: ProbeTarget, reservation: ProbeBudget.Reservation?, at wallTime: Timestamp) -> ProbeDutyClaim {
        ProbeDutyClaim(target: target.target, budgetProvider: target.budgetProvider,
                       slot: ProbeDutyClaim.slot(at: wallTime, intervalSeconds: target.settings.intervalSeconds),
                       day: ProbeBudget.utcDay(wallTime), estimateUSD: reservation?.usd ?? Self.estimatedCost(of: target),
                       limitUSD: target.budgetUSDPerDay)
    }

    /// What `launch` becomes once its claim is answered: it stays a completion probe when this
    /// host won the slot, or when the fleet cannot be asked and this host's spend stays within
    /// its share of the budget (1 / hosts last seen); otherwise it probes liveness only and
    /// frees its reservation. A launch without a claim is returned as it is.
    @_specialize(where Instant == ContinuousClock.Instant)
    public mutating func applyDuty(_ answer: ProbeDutyAnswer, to launch: ProbeLaunch<Instant>, wallTime: Timestamp) -> ProbeLaunch<Instant> {
        guard launch.duty != nil else { return launch }
        let keeps: Bool
        switch answer {
        case .won:
            keeps = true
        case .taken, .budgetSpent:
            keeps = false
        case .unreachable(let hostsSeen):
            keeps = budgets.withinShare(launch.target.budgetProvider, ofHosts: hostsSeen, at: wallTime)
        }
        var launch = launch
        if case .won = answer {} else { launch.duty = nil }  // only a won claim is settled with the fleet
        guard !keeps else { return launch }
        if let reservation = launch.reservation { budgets.settle(launch.target.budgetProvider, reservation, costUSD: nil, at: wallTime) }
        launch.reservation = nil
        launch.target.settings.mode = .liveness
        return launch
    }
}
