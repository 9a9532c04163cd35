import SwitchyardCore

/// When each target is probed: the due queue, the leeway windows, generations, jitter, the
/// budget gate and the first round. A value with no clock and no threads: every event comes
/// in with the time, and the answer is a list of `ProbeAction`s for the scheduler to carry
/// out, so its tests are exact (like `TargetHealth`).
///
/// Each target has a generation. A reload that drops or restarts a target bumps it, so
/// whatever a probe of the old generation or its old queue entry does later is recognised
/// as stale and ignored.
public struct ProbePlan<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// A configured target and its scheduling state.
    struct Slot: Sendable {
        var target: ProbeTarget
        var generation = 0
        /// The earliest instant its next probe may start; nil while one is in flight.
        var floor: Instant?
        /// When its latest probe started, so probes asked for out of turn keep a minimum gap.
        var lastStart: Instant?
        /// Asked for out of turn while a probe was in flight: that probe started before the
        /// question (the reports it is to confirm), so the next one comes right after it.
        var againAfterFlight = false
        /// Its next probe was asked for out of turn (to confirm reports): it must read afresh,
        /// not take a model list another probe fetched before the question.
        var outOfTurn = false
    }

    var providerLimiters: [ProviderID: ConcurrencyLimiter]
    /// How early a probe may start (see `leeway(for:)`).
    public internal(set) var leeway: Duration
    var slots: [Target: Slot] = [:]
    var queue = ProbeQueue<Instant>()
    var lastGeneration = 0
    public internal(set) var running = false
    /// The earliest timer the scheduler has set (`.sleep(until:)`) that has not come yet.
    var armed: Instant?
    /// What each provider's completion probes spent and may spend today.
    public internal(set) var budgets: ProbeBudgetBook
    /// Targets not probed yet in the first round; nil once the round is done.
    var unprobed: Set<Target>?
    var random: SplitMix64
    /// Longest start-up spread: the first probes land within this many seconds.
    let startSpreadSeconds: Double
    /// Whether completion probes first claim their slot from a fleet (`ProbeDuty`); liveness probes never do.
    public var claimsDuty = false

    /// A plan for `targets`, not started; `seed` fixes its jitter, `now` is today for the budgets.
    public init(targets: [ProbeTarget], seed: UInt64, startSpreadSeconds: Double = 10, now: Timestamp) {
        providerLimiters = Self.limiters(for: targets, keeping: [:])
        leeway = Self.leeway(for: targets)
        for target in targets { slots[target.target] = Slot(target: target) }
        budgets = ProbeBudgetBook(limits: Self.budgetLimits(targets), members: Self.budgetMembers(targets), now: now)
        unprobed = Set(slots.keys)
        random = SplitMix64(seed: seed)
        self.startSpreadSeconds = startSpreadSeconds
    }

    /// Queues every target's first probe within the start-up spread after `now`.
    @_specialize(where Instant == ContinuousClock.Instant)
    public mutating func start(at now: Instant) -> [ProbeAction<Instant>] {
        running = true
        var actions: [ProbeAction<Instant>] = []
        for target in slots.keys.sorted() { restart(target, at: now, into: &actions) }
        if slots.isEmpty { finishFirstRound(into: &actions) }
        return actions
    }

    /// Starts every probe whose window has opened by `now` and says when to step next: the
    /// end of the earliest window still closed, when no timer is set for it yet. Each probe's
    /// window runs from its floor to the floor plus the leeway; stepping at the end of one
    /// window starts every probe whose window opened meanwhile, together. `wallTime` is the
    /// date, for the budgets: a completion probe without room in its budget runs as liveness.
    @_specialize(where Instant == ContinuousClock.Instant)
    public mutating func step(now: Instant, wallTime: Timestamp) -> [ProbeAction<Instant>] {
        var actions: [ProbeAction<Instant>] = []
        if let armed, armed <= now { self.armed = nil }
        while let entry = queue.earliest, entry.floor <= now {
            _ = queue.removeEarliest()
            // In place through the index: copying a slot copies its whole `ProbeTarget`.
            guard let index = slots.index(forKey: entry.target), slots.values[index].generation == entry.generation,
                  slots.values[index].floor != nil else { continue }
            slots.values[index].floor = nil
            slots.values[index].lastStart = now
            let outOfTurn = slots.values[index].outOfTurn
            slots.values[index].outOfTurn = false
            var launched = launch(slots.values[index], planned: entry.floor.advanced(by: leeway), wallTime: wallTime)
            launched.outOfTurn = outOfTurn
            actions.append(.launch(launched))
        }
        dropStaleHead()
        if let next = nextWake, armed.map({ next < $0 }) ?? true {
            armed = next
            actions.append(.sleep(until: next))
        }
        return actions
    }

    /// A launched probe ended at `now`: settles its budget, counts it for the first round and,
    /// when its generation is current, queues the target's next probe `nextInSeconds` on (up to
    /// 10 % later, never earlier: a half-open probe must not come before the ejection ends).
    @_specialize(where Instant == ContinuousClock.Instant)
    public mutating func finished(_ probe: FinishedProbe, now: Instant, wallTime: Timestamp) -> [ProbeAction<Instant>] {
        var actions: [ProbeAction<Instant>] = []
        let provider = probe.budgetProvider ?? probe.target.provider
        // What a probe cost counts against the budget even when it is not delivered.
        if let reservation = probe.reservation {
            budgets.settle(provider, reservation, costUSD: probe.costUSD, at: wallTime)
        } else if let cost = probe.costUSD {
            budgets.record(provider, costUSD: cost, at: wallTime)
        }
        if probe.delivered, unprobed?.remove(probe.target) != nil, unprobed?.isEmpty == true { finishFirstRound(into: &actions) }
        guard running, let index = slots.index(forKey: probe.target), slots.values[index].generation == probe.generation else {
            // A stale probe: the current owner's promise stands.
            if let floor = slots[probe.target]?.floor {
                actions.append(.promise(probe.target, by: floor.advanced(by: leeway)))
            } else if slots[probe.target] == nil {
                actions.append(.release(probe.target))
            }
            return actions
        }
        // Planned from the end of this probe: a slow probe never queues a backlog.
        let delay = max(probe.nextInSeconds, 0) * Double.random(in: 1.0...1.1, using: &random)
        var floor = now.advanced(by: .seconds(delay))
        if slots.values[index].againAfterFlight {
            slots.values[index].againAfterFlight = false
            floor = min(floor, max(now, slots.values[index].lastStart.map { $0.advanced(by: Self.outOfTurnGap) } ?? now))
        }
        slots.values[index].floor = floor
        queue.insert(.init(floor: floor, target: probe.target, generation: slots.values[index].generation))
        actions.append(.promise(probe.target, by: floor.advanced(by: leeway)))
        if armed.map({ floor.advanced(by: leeway) < $0 }) ?? true { actions.append(.wakeLoop) }
        return actions
    }

    /// The least time between the starts of two probes of a target when one is asked for out of turn.
    static var outOfTurnGap: Duration { .seconds(1) }

    /// Moves the queued probe of `target` to `now`, or to `outOfTurnGap` after its latest probe
    /// started if that is later, so callers cannot make it probe back to back (a new generation,
    /// so its old queue entry goes stale). While a probe of it is in flight, the next one is
    /// queued as soon when that probe ends (it started before the question). Nothing when the
    /// target is unknown, the plan is stopped, or it is due by then anyway.
    public mutating func probeSoon(_ target: Target, at now: Instant) -> [ProbeAction<Instant>] {
        guard running, var slot = slots[target] else { return [] }
        slot.outOfTurn = true
        guard let floor = slot.floor else {
            slot.againAfterFlight = true
            slots[target] = slot
            return []
        }
        let soonest = max(now, slot.lastStart.map { $0.advanced(by: Self.outOfTurnGap) } ?? now)
        guard floor > soonest else {
            slots[target] = slot
            return []
        }
        lastGeneration += 1
        slot.generation = lastGeneration
        slot.floor = soonest
        slots[target] = slot
        queue.insert(.init(floor: soonest, target: target, generation: slot.generation))
        return [.promise(target, by: soonest.advanced(by: leeway)), .wakeLoop]
    }

    /// Stops: forgets every queued probe; every target owes nothing any more. Probes in flight
    /// end as stale.
    public mutating func stop() -> [ProbeAction<Instant>] {
        running = false
        queue.removeAll()
        armed = nil
        var actions: [ProbeAction<Instant>] = []
        for target in slots.keys.sorted() {
            slots[target]?.floor = nil
            slots[target]?.generation = -1
            actions.append(.release(target))
        }
        return actions
    }

    /// The end of the earliest window queued, when the plan must be stepped at the latest.
    public var nextWake: Instant? { queue.earliest.map { $0.floor.advanced(by: leeway) } }

    /// What a completion probe of `target` may cost at most, from its price in its task's unit
    /// (`ProbeCostEstimate`). The dearest probe seen raises it (`ProbeBudget`).
    static func estimatedCost(of target: ProbeTarget) -> Double { ProbeCostEstimate.usd(target) }

    /// The probe of `slot`, through the budget gate: a completion probe reserves its estimated
    /// cost now, so probes of one provider started together cannot overshoot its budget.
    private mutating func launch(_ slot: Slot, planned: Instant, wallTime: Timestamp) -> ProbeLaunch<Instant> {
        var target = slot.target
        var reservation: ProbeBudget.Reservation?
        if target.settings.mode == .completion {
            reservation = budgets.reserveCompletion(target.budgetProvider, estimateUSD: Self.estimatedCost(of: target), task: target.task, at: wallTime)
            if reservation == nil { target.settings.mode = .liveness }
        }
        var launch = ProbeLaunch(target: target, generation: slot.generation, planned: planned,
                                 providerLimiter: providerLimiters[target.target.provider], reservation: reservation)
        if claimsDuty, target.settings.mode == .completion { launch.duty = Self.dutyClaim(for: target, reservation: reservation, at: wallTime) }
        return launch
    }

    /// A new generation of `target`, its first probe queued within the start-up spread after `now`.
    mutating func restart(_ target: Target, at now: Instant, into actions: inout [ProbeAction<Instant>]) {
        guard var slot = slots[target] else { return }
        lastGeneration += 1
        slot.generation = lastGeneration
        let spread = max(0, min(slot.target.settings.intervalSeconds, startSpreadSeconds))
        let floor = now.advanced(by: .seconds(Double.random(in: 0...spread, using: &random)))
        slot.floor = floor
        slots[target] = slot
        queue.insert(.init(floor: floor, target: target, generation: slot.generation))
        actions.append(.promise(target, by: floor.advanced(by: leeway)))
    }

    mutating func finishFirstRound(into actions: inout [ProbeAction<Instant>]) {
        guard unprobed != nil else { return }
        unprobed = nil
        actions.append(.firstRoundDone)
    }

    /// Pops queue entries left behind by reloads and early probes, so the next deadline is a real one.
    private mutating func dropStaleHead() {
        while let first = queue.earliest,
              slots.index(forKey: first.target).map({ slots.values[$0].generation != first.generation || slots.values[$0].floor == nil }) ?? true {
            _ = queue.removeEarliest()
        }
    }
}
