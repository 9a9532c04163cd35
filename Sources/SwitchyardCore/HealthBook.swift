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
            let transition = entry.health.observe(observation, policy: healthPolicy)
            state.entries[observation.target] = entry
            return transition
        }
    }

    /// Rebuilds health and statistics from stored history before the first probe: replays
    /// the observations oldest first through the same state machine (their transitions were
    /// recorded already and are discarded), then re-applies admin drains. Returns the
    /// configured targets that had any history.
    @discardableResult
    public func warmStart(_ warm: WarmStart) -> Set<Target> {
        let halfLife = ranker.policy.successHalfLifeSeconds
        let reportWeight = ranker.policy.reportWeight
        let ordered = warm.observations.sorted { $0.finishedAt < $1.finishedAt }
        return state.withLock { state -> Set<Target> in
            var restored: Set<Target> = []
            for observation in ordered {
                guard var entry = state.entries[observation.target] else { continue }
                entry.stats.record(observation, weight: observation.source == .report ? reportWeight : 1, halfLifeSeconds: halfLife)
                _ = entry.health.observe(observation, policy: healthPolicy)
                state.entries[observation.target] = entry
                restored.insert(observation.target)
            }
            for (target, at) in warm.drained where state.entries[target] != nil {
                _ = state.entries[target]!.health.drain(target: target, at: at, by: "an admin before the restart")
                restored.insert(target)
            }
            return restored
        }
    }

    /// Whether the target is configured.
    public func contains(_ target: Target) -> Bool {
        state.withLock { $0.entries[target] != nil }
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
    public func route(_ query: RouteQuery, now: Timestamp) -> RouteResult {
        let snapshots: [TargetSnapshot]? = state.withLock { state in
            state.targetsByModel[query.model].map { targets in targets.map { state.entries[$0]!.snapshot } }
        }
        guard let snapshots else { return .unknownModel(known: models) }
        return .route(ranker.rank(snapshots, query: query, now: now))
    }

    /// Every target's current state and statistics, sorted by provider then model.
    public func snapshots() -> [TargetSnapshot] {
        state.withLock { state in
            state.entries.values.map(\.snapshot).sorted { $0.descriptor.target < $1.descriptor.target }
        }
    }
}
