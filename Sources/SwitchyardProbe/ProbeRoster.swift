import SwitchyardCore

/// The targets the scheduler probes, when each is due next and the probes in flight.
/// Changed by reloads; kept behind the scheduler's lock. A value: time comes in as an
/// instant and starting a probe is a closure, so its decisions are tested without sleeping.
///
/// Each target has a generation. A reload that drops or restarts a target bumps it and
/// cancels the probe in flight, so whatever that probe or its old queue entry does later
/// is recognised as stale and ignored.
public struct ProbeRoster: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// What a reload changed, by target.
    public struct Change: Hashable, Sendable {
        public var added: [Target] = []
        public var removed: [Target] = []
        /// Kept, but with different probe settings, URL, key or price: restarted (new first probe, new backoff).
        public var changed: [Target] = []
        public var unchanged: [Target] = []
    }

    /// A probe whose time has come: what to probe, for which generation, when it was planned
    /// (the end of its window), and the cap of its provider.
    struct Due: Sendable {
        var target: ProbeTarget
        var generation: Int
        var planned: Instant
        var providerLimiter: ConcurrencyLimiter?
    }

    /// A configured target and its scheduling state.
    private struct Slot {
        var target: ProbeTarget
        var generation: Int
        var backoff: ProbeBackoff
        /// The earliest instant its next probe may start; nil while one is in flight.
        var floor: Instant?
        var probe: Task<Void, Never>?
        /// When its latest probe started, so probes asked for out of turn keep a minimum gap.
        var lastStart: Instant?

        init(_ target: ProbeTarget) {
            self.target = target
            generation = 0
            backoff = ProbeBackoff(intervalSeconds: target.settings.intervalSeconds)
        }
    }

    private var providerLimiters: [ProviderID: ConcurrencyLimiter]
    /// How early a probe may start (see `leeway(for:)`).
    private(set) var leeway: Duration
    private var slots: [Target: Slot] = [:]
    private var queue = ProbeQueue<Instant>()
    /// Probes a reload canceled; shutdown still waits for them, so none outlives the scheduler.
    private var retired: [Task<Void, Never>] = []
    private var lastGeneration = 0
    private var running = false
    private let ledger: ScheduleLedger

    init(targets: [ProbeTarget], ledger: ScheduleLedger) {
        self.ledger = ledger
        providerLimiters = ProbeRoster.limiters(for: targets, keeping: [:])
        leeway = ProbeRoster.leeway(for: targets)
        for target in targets { slots[target.target] = Slot(target) }
    }

    /// Queues every target's first probe, `firstDelay` after `now`; false when there are none.
    mutating func start(at now: Instant, firstDelay: (ProbeTarget) -> Duration) -> Bool {
        running = true
        for target in Array(slots.keys) { restart(target, at: now, firstDelay: firstDelay) }
        return !slots.isEmpty
    }

    /// Adopts a reloaded target list. Removed targets are forgotten and their probe in flight is
    /// canceled; added and changed ones get a first probe within `firstDelay`; unchanged ones keep
    /// their due time, backoff and any probe in flight.
    mutating func reconfigure(_ targets: [ProbeTarget], at now: Instant, firstDelay: (ProbeTarget) -> Duration) -> Change {
        let next = Dictionary(targets.map { ($0.target, $0) }, uniquingKeysWith: { $1 })
        var change = Change()
        for target in Array(slots.keys) where next[target] == nil {
            change.removed.append(target)
            retire(target)
            slots[target] = nil
            ledger.release(target)
        }
        providerLimiters = ProbeRoster.limiters(for: targets, keeping: providerLimiters)
        let previousLeeway = leeway
        leeway = ProbeRoster.leeway(for: targets)
        if leeway != previousLeeway {
            // Queued probes now end their windows at floor + the new leeway: promise that.
            for (target, slot) in slots { if let floor = slot.floor { ledger.promise(target, by: floor + leeway) } }
        }
        for (target, probeTarget) in next {
            switch slots[target]?.target {
            case nil: change.added.append(target)
            case probeTarget: change.unchanged.append(target); continue
            default: change.changed.append(target)
            }
            retire(target)
            slots[target] = Slot(probeTarget)
            if running { restart(target, at: now, firstDelay: firstDelay) }
        }
        change.added.sort()
        change.removed.sort()
        change.changed.sort()
        change.unchanged.sort()
        return change
    }

    /// Starts, through `launch`, every probe whose window has opened by `now`, and returns when
    /// the loop must wake next: the end of the earliest window still closed (nil when none is
    /// queued). Each probe's window runs from its floor to the floor plus the leeway; waking at
    /// the end of one window starts every probe whose window opened meanwhile, together.
    mutating func launchDue(at now: Instant, _ launch: (Due) -> Task<Void, Never>) -> Instant? {
        while let entry = queue.earliest, entry.floor <= now {
            _ = queue.removeEarliest()
            guard let index = slots.index(forKey: entry.target), slots.values[index].generation == entry.generation,
                  slots.values[index].floor != nil else { continue }
            let target = slots.values[index].target
            let due = Due(target: target, generation: entry.generation, planned: entry.floor + leeway, providerLimiter: providerLimiters[target.target.provider])
            slots.values[index].floor = nil
            slots.values[index].lastStart = now
            slots.values[index].probe = launch(due)
        }
        dropStaleHead()
        return queue.earliest.map { $0.floor + leeway }
    }

    /// A probe of `generation` ended; queues the target's next probe, whose floor is what `next`
    /// answers (given the target's backoff to update): it never starts before a half-open time
    /// or a `Retry-After`. Returns the end of its window, when the loop must wake for it at the
    /// latest; nil, and nothing queued, when a reload removed or restarted the target meanwhile,
    /// or the scheduler stopped.
    mutating func finished(_ target: Target, generation: Int, next: (inout ProbeBackoff) -> Instant) -> Instant? {
        guard running, let index = slots.index(forKey: target), slots.values[index].generation == generation else {
            // A stale probe may have promised progress after the reload: the current owner's promise stands.
            if let floor = slots[target]?.floor { ledger.promise(target, by: floor + leeway) } else if slots[target] == nil { ledger.release(target) }
            return nil
        }
        let floor = next(&slots.values[index].backoff)
        slots.values[index].floor = floor
        slots.values[index].probe = nil
        queue.insert(.init(floor: floor, target: target, generation: generation))
        ledger.promise(target, by: floor + leeway)
        return floor + leeway
    }

    /// Moves the queued probe of `target` to `now`, or to `minimumGap` after its latest probe
    /// started if that is later, so callers cannot make it probe back to back (a new generation,
    /// so its old queue entry goes stale); returns the end of its window, when the loop must wake.
    /// Nil when the target is unknown, the scheduler stopped, a probe of it is in flight, or it
    /// is due by then anyway.
    mutating func probeSoon(_ target: Target, at now: Instant, minimumGap: Duration = .seconds(1)) -> Instant? {
        guard running, var slot = slots[target], let floor = slot.floor else { return nil }
        let soonest = max(now, slot.lastStart.map { $0 + minimumGap } ?? now)
        guard floor > soonest else { return nil }
        lastGeneration += 1
        slot.generation = lastGeneration
        slot.floor = soonest
        slots[target] = slot
        queue.insert(.init(floor: soonest, target: target, generation: slot.generation))
        ledger.promise(target, by: soonest + leeway)
        return soonest + leeway
    }

    /// Stops: forgets every queued probe and returns the probes in flight (and those reloads
    /// canceled) for the caller to cancel and await.
    mutating func stop() -> [Task<Void, Never>] {
        running = false
        queue.removeAll()
        let probes = slots.values.compactMap(\.probe) + retired
        for target in Array(slots.keys) {
            slots[target]?.probe = nil
            slots[target]?.floor = nil
            ledger.release(target)
        }
        retired = []
        return probes
    }

    static func budgetLimits(_ targets: [ProbeTarget]) -> [ProviderID: Double?] {
        Dictionary(targets.map { ($0.target.provider, $0.budgetUSDPerDay) }, uniquingKeysWith: { first, _ in first })
    }

    /// A new generation of `target`, its first probe queued `firstDelay` from `now`.
    private mutating func restart(_ target: Target, at now: Instant, firstDelay: (ProbeTarget) -> Duration) {
        guard var slot = slots[target] else { return }
        lastGeneration += 1
        slot.generation = lastGeneration
        let floor = now + firstDelay(slot.target)
        slot.floor = floor
        slots[target] = slot
        queue.insert(.init(floor: floor, target: target, generation: slot.generation))
        ledger.promise(target, by: floor + leeway)
    }

    /// Cancels the probe in flight of `target`, kept for shutdown to await.
    private mutating func retire(_ target: Target) {
        guard let probe = slots[target]?.probe else { return }
        probe.cancel()
        retired.append(probe)
        slots[target]?.probe = nil
    }

    /// Pops queue entries left behind by reloads, so the next deadline is a real one.
    private mutating func dropStaleHead() {
        while let first = queue.earliest, slots[first.target].map({ $0.generation != first.generation || $0.floor == nil }) ?? true {
            _ = queue.removeEarliest()
        }
    }

    /// How early a probe may start, so that probes due within a few milliseconds of each other
    /// start together: one wake-up of the scheduler loop, and of the engine for their answers,
    /// instead of one each (at 100 probes a second, wake-ups are much of the daemon's CPU).
    /// 1% of the shortest interval, at most 50 ms: far inside the ±10% jitter of every interval.
    /// A probe's window is [its floor, floor + leeway]; lateness counts from the window's end.
    /// Kept apart from the queue's instants, so a reload that changes it moves no floor.
    static func leeway(for targets: [ProbeTarget]) -> Duration {
        let shortest = targets.lazy.map(\.settings.intervalSeconds).min() ?? 0
        return min(.milliseconds(50), .seconds(max(shortest, 0) / 100))
    }

    /// One limiter per provider; a provider whose cap did not change keeps its limiter (and its holders).
    private static func limiters(for targets: [ProbeTarget], keeping current: [ProviderID: ConcurrencyLimiter]) -> [ProviderID: ConcurrencyLimiter] {
        var limiters: [ProviderID: ConcurrencyLimiter] = [:]
        for target in targets where limiters[target.target.provider] == nil {
            let provider = target.target.provider
            let limit = target.settings.maxConcurrentPerProvider
            limiters[provider] = current[provider].flatMap { $0.limit == limit ? $0 : nil } ?? ConcurrencyLimiter(limit: limit)
        }
        return limiters
    }
}
