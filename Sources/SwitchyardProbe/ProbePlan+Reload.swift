import SwitchyardCore

/// What a reload changed, by target.
public struct ProbeTargetChange: Hashable, Sendable {
    public var added: [Target] = []
    public var removed: [Target] = []
    /// Kept, but with different probe settings, URL, key or price: restarted (new first probe).
    public var changed: [Target] = []
    public var unchanged: [Target] = []
}

extension ProbePlan {
    /// Adopts a reloaded target list at `now`. Removed targets are forgotten (a probe of theirs
    /// in flight ends as stale and is not delivered); added and changed ones get a first probe
    /// within the start-up spread; unchanged ones keep their due time and any probe in flight.
    /// Budgets keep today's spend, also across a removal and return.
    public mutating func reconfigure(_ targets: [ProbeTarget], at now: Instant, wallTime: Timestamp) -> (ProbeTargetChange, [ProbeAction<Instant>]) {
        budgets.setLimits(Self.budgetLimits(targets), members: Self.budgetMembers(targets), now: wallTime)
        let next = Dictionary(targets.map { ($0.target, $0) }, uniquingKeysWith: { $1 })
        var change = ProbeTargetChange()
        var actions: [ProbeAction<Instant>] = []
        for target in slots.keys.sorted() where next[target] == nil {
            change.removed.append(target)
            slots[target] = nil
            actions.append(.release(target))
        }
        unprobed?.subtract(change.removed)
        providerLimiters = Self.limiters(for: targets, keeping: providerLimiters)
        let previousLeeway = leeway
        leeway = Self.leeway(for: targets)
        if leeway != previousLeeway {
            // Queued probes now end their windows at floor + the new leeway: promise that.
            for target in slots.keys.sorted() { if let floor = slots[target]?.floor { actions.append(.promise(target, by: floor.advanced(by: leeway))) } }
        }
        for target in next.keys.sorted() {
            let probeTarget = next[target]!
            switch slots[target]?.target {
            case nil: change.added.append(target)
            case probeTarget: change.unchanged.append(target); continue
            default: change.changed.append(target)
            }
            // A new slot: a probe of the old one in flight is stale from now on.
            lastGeneration += 1
            slots[target] = Slot(target: probeTarget, generation: lastGeneration)
            if running { restart(target, at: now, into: &actions) }
        }
        if unprobed?.isEmpty == true { finishFirstRound(into: &actions) }
        if running { actions.append(.wakeLoop) }
        return (change, actions)
    }

    /// Seeds what `provider`'s probes already spent on the UTC day of `day` (from the store, at start-up).
    public mutating func restoreSpend(_ provider: ProviderID, spentUSD: Double, on day: Timestamp, now: Timestamp) {
        budgets.restore(provider, spentUSD: spentUSD, on: day, now: now)
    }

    static func budgetLimits(_ targets: [ProbeTarget]) -> [ProviderID: Double?] {
        Dictionary(targets.map { ($0.budgetProvider, $0.budgetUSDPerDay) }, uniquingKeysWith: { first, _ in first })
    }

    /// For each budget that other providers draw on, those providers, sorted.
    static func budgetMembers(_ targets: [ProbeTarget]) -> [ProviderID: [ProviderID]] {
        var members: [ProviderID: Set<ProviderID>] = [:]
        for target in targets where target.budgetProvider != target.target.provider { members[target.budgetProvider, default: []].insert(target.target.provider) }
        return members.mapValues { $0.sorted() }
    }

    /// How early a probe may start, so that probes due within a few milliseconds of each other
    /// start together: one wake-up of the scheduler loop, and of the engine for their answers,
    /// instead of one each (at 100 probes a second, wake-ups are much of the daemon's CPU).
    /// 1% of the shortest interval, at most 50 ms: far inside the jitter of every interval.
    /// A probe's window is [its floor, floor + leeway]; lateness counts from the window's end.
    /// Kept apart from the queue's instants, so a reload that changes it moves no floor.
    public static func leeway(for targets: [ProbeTarget]) -> Duration {
        let shortest = targets.lazy.map(\.settings.intervalSeconds).min() ?? 0
        return min(.milliseconds(50), .seconds(max(shortest, 0) / 100))
    }

    /// One limiter per provider; a provider whose cap did not change keeps its limiter (and its holders).
    static func limiters(for targets: [ProbeTarget], keeping current: [ProviderID: ConcurrencyLimiter]) -> [ProviderID: ConcurrencyLimiter] {
        var limiters: [ProviderID: ConcurrencyLimiter] = [:]
        for target in targets where limiters[target.target.provider] == nil {
            let provider = target.target.provider
            let limit = target.settings.maxConcurrentPerProvider
            limiters[provider] = current[provider].flatMap { $0.limit == limit ? $0 : nil } ?? ConcurrencyLimiter(limit: limit)
        }
        return limiters
    }
}

extension ProbePlan {
    /// Whether a probe of `generation` still belongs to `target` (no reload or early probe replaced it).
    @_specialize(where Instant == ContinuousClock.Instant)
    public func isCurrent(_ target: Target, generation: Int) -> Bool {
        running && slots[target]?.generation == generation
    }
}
