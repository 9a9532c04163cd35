import Synchronization

/// The live health and statistics of every configured target, shared by the probe
/// loop (writes) and the API (reads). All decisions are delegated to the pure
/// `TargetHealth` and `RouteRanker`; this type only keeps them consistent under a lock.
public final class HealthBook: Sendable {
    private struct Entry {
        var descriptor: TargetDescriptor
        var health: TargetHealth
        var stats: TargetStats
        var snapshot: TargetSnapshot { TargetSnapshot(descriptor: descriptor, health: health, stats: stats) }
    }

    private struct State {
        var entries: [Target: Entry] = [:]
        /// Targets of each model in configuration order.
        var targetsByModel: [ModelName: [Target]] = [:]
        /// The provider that led the last canonical answer, per model and strategy.
        var incumbents: [IncumbentKey: ProviderID] = [:]
    }

    private struct IncumbentKey: Hashable {
        var model: ModelName
        var strategy: RoutingStrategy
    }

    public let healthPolicy: HealthPolicy
    public let ranker: RouteRanker
    private let state: Mutex<State>

    public init(descriptors: [TargetDescriptor], healthPolicy: HealthPolicy = HealthPolicy(), scoring: ScoringPolicy = ScoringPolicy(), now: Timestamp) {
        self.healthPolicy = healthPolicy
        self.ranker = RouteRanker(policy: scoring)
        var initial = State()
        for descriptor in descriptors {
            let target = descriptor.target
            initial.entries[target] = Entry(descriptor: descriptor, health: TargetHealth(since: now), stats: TargetStats())
            initial.targetsByModel[target.model, default: []].append(target)
        }
        self.state = Mutex(initial)
    }

    /// Every configured model name, sorted.
    public var models: [ModelName] {
        state.withLock { $0.targetsByModel.keys.sorted() }
    }

    /// Folds one observation into its target; returns the transition it caused, if any.
    /// Observations of targets that are not configured are ignored (and return nil).
    @discardableResult
    public func observe(_ observation: Observation) -> Transition? {
        let weight = observation.source == .report ? ranker.policy.reportWeight : 1
        let halfLife = ranker.policy.successHalfLifeSeconds
        return state.withLock { state -> Transition? in
            guard var entry = state.entries[observation.target] else { return nil }
            entry.stats.record(observation, weight: weight, halfLifeSeconds: halfLife)
            let transition = entry.health.observe(observation, policy: healthPolicy, weight: weight)
            state.entries[observation.target] = entry
            return transition
        }
    }

    /// The configuration of a target, or nil when it is not configured.
    public func descriptor(of target: Target) -> TargetDescriptor? {
        state.withLock { $0.entries[target]?.descriptor }
    }

    /// Drains (or undrains) every target of a provider; nil when the provider is unknown.
    public func setDraining(_ draining: Bool, provider: ProviderID, at now: Timestamp, by caller: String) -> [Transition]? {
        state.withLock { state -> [Transition]? in
            let targets = state.entries.keys.filter { $0.provider == provider }.sorted()
            guard !targets.isEmpty else { return nil }
            return targets.compactMap { target in
                let transition = draining
                    ? state.entries[target]!.health.drain(target: target, at: now, by: caller)
                    : state.entries[target]!.health.undrain(target: target, at: now, by: caller)
                return transition
            }
        }
    }

    /// Ranks the targets of a model, or names the known models when it does not exist.
    /// A canonical answer (no filters, no spread) records its leader as the incumbent, so the
    /// next answer keeps it unless a challenger is better by the stability margin.
    public func route(_ query: RouteQuery, now: Timestamp) -> RouteResult {
        let key = IncumbentKey(model: query.model, strategy: query.strategy)
        let input: ([TargetSnapshot], ProviderID?)? = state.withLock { state in
            state.targetsByModel[query.model].map { targets in (targets.map { state.entries[$0]!.snapshot }, state.incumbents[key]) }
        }
        guard let (snapshots, incumbent) = input else { return .unknownModel(known: models) }
        let route = ranker.rank(snapshots, query: query, now: now, incumbent: incumbent)
        if query.isCanonical, !route.panic, let leader = route.candidates.first?.provider, leader != incumbent {
            state.withLock { $0.incumbents[key] = leader }
        }
        return .route(route)
    }

    /// When the target's next probe is worth making, given its probe interval and when the last one finished.
    public func nextProbe(of target: Target, after now: Timestamp, interval: Double) -> Timestamp {
        let health = state.withLock { $0.entries[target]?.health }
        return health?.nextProbe(after: now, interval: interval, policy: healthPolicy) ?? now + interval
    }

    /// Every target's current state and statistics, sorted by provider then model.
    public func snapshots() -> [TargetSnapshot] {
        state.withLock { state in
            state.entries.values.map(\.snapshot).sorted { $0.descriptor.target < $1.descriptor.target }
        }
    }
}
