import Synchronization

/// Routing as a stage of its own: ranks one model's targets as the health book last saw them,
/// and keeps what a ranking must remember between answers (the incumbent leader of each
/// model and strategy, each `pick=spread` client's order). Reading that memory, ranking and
/// recording the outcome happen in one step under this desk's lock, so a decision drawn from
/// older health can never overwrite one drawn from newer health.
public final class RouteDesk: Sendable {
    /// What a decision was drawn from: the health book's version, then the time asked about.
    /// Only a decision from a basis at least as new as the recorded one may record.
    public struct Basis: Comparable, Sendable {
        public var version: UInt64
        public var now: Timestamp

        public init(version: UInt64, now: Timestamp) {
            self.version = version
            self.now = now
        }

        public static func < (lhs: Basis, rhs: Basis) -> Bool {
            (lhs.version, lhs.now) < (rhs.version, rhs.now)
        }
    }

    private struct Key: Hashable {
        var model: ModelName
        var strategy: RoutingStrategy
    }

    private struct Incumbent {
        /// The provider that led the last recorded canonical answer (nil: none yet, or only panics).
        var provider: ProviderID?
        var basis: Basis
    }

    private struct State {
        var ranker: RouteRanker
        var incumbents: [Key: Incumbent] = [:]
        var spreadOrders = SpreadOrders()
        /// Decisions from health older than the last reconfiguration record nothing.
        var floor: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(scoring: ScoringPolicy = ScoringPolicy()) {
        state = Mutex(State(ranker: RouteRanker(policy: scoring)))
    }

    /// The ranker (and its scoring policy) now.
    public var ranker: RouteRanker { state.withLock { $0.ranker } }

    /// Ranks `snapshots` (one model's targets, read from the health book at `version`) for `query`.
    /// A canonical answer (no filters, no spread) from health at least as new as the last
    /// recorded one records its leader as the incumbent, so the next answer keeps it unless a
    /// challenger is better by the stability margin; a panic answer records no leader.
    public func route(_ query: RouteQuery, over snapshots: [TargetSnapshot], version: UInt64, now: Timestamp) -> Route {
        let key = Key(model: query.model, strategy: query.strategy)
        var spreadKey: SpreadOrders.Key?
        if case .spread(let client) = query.pick { spreadKey = SpreadOrders.Key(client: client, model: query.model, strategy: query.strategy) }
        // A spread order is drawn over every candidate (the limit applies after), so a later,
        // wider question of the same client keeps it too.
        var whole = query
        if spreadKey != nil { whole.limit = nil }
        let basis = Basis(version: version, now: now)
        return state.withLock { state in
            let period = state.ranker.policy.spreadPeriodSeconds
            let held = spreadKey.flatMap { state.spreadOrders.held(for: $0, now: now, period: period) }
            let recorded = state.incumbents[key]
            var route = state.ranker.rank(snapshots, query: whole, now: now, incumbent: recorded?.provider, spreadOrder: held)
            if let spreadKey, held == nil, !route.panic {
                state.spreadOrders.remember(route.candidates.map(\.provider), for: spreadKey, at: now, period: period)
            }
            if spreadKey != nil, let limit = query.limit { route.candidates = Array(route.candidates.prefix(max(limit, 0))) }
            if query.isCanonical, version >= state.floor, recorded.map({ basis >= $0.basis }) ?? true {
                let leader = route.panic ? recorded?.provider : route.candidates.first?.provider ?? recorded?.provider
                state.incumbents[key] = Incumbent(provider: leader, basis: basis)
            }
            return route
        }
    }

    /// The incumbent leader of `model` under `strategy`, if any.
    public func incumbent(of model: ModelName, strategy: RoutingStrategy) -> ProviderID? {
        state.withLock { $0.incumbents[Key(model: model, strategy: strategy)]?.provider }
    }

    /// Adopts a reload that the health book made at `version`: the models in `changed` (or, when
    /// `scoring` differs from the policy now, every model) are decided afresh, without an
    /// incumbent, and decisions from health older than `version` no longer record.
    public func reconfigure(changed: Set<ModelName>, scoring: ScoringPolicy?, version: UInt64) {
        state.withLock { state in
            if let scoring, scoring != state.ranker.policy {
                state.ranker = RouteRanker(policy: scoring)
                state.incumbents = [:]
            } else {
                state.incumbents = state.incumbents.filter { !changed.contains($0.key.model) }
            }
            state.floor = max(state.floor, version)
        }
    }

    /// Every target's score under each strategy, as `route` would rank it now. Reads only:
    /// nothing is recorded, so scraping changes no answer.
    public func scores(of models: [ModelName: [TargetSnapshot]], now: Timestamp,
                       strategies: [RoutingStrategy] = RoutingStrategy.allCases) -> [TargetScore] {
        let (ranker, incumbents) = state.withLock { ($0.ranker, $0.incumbents) }
        var scores: [TargetScore] = []
        for (model, snapshots) in models {
            for strategy in strategies {
                let incumbent = incumbents[Key(model: model, strategy: strategy)]?.provider
                let route = ranker.rank(snapshots, query: RouteQuery(model: model, strategy: strategy), now: now, incumbent: incumbent)
                for candidate in route.candidates {
                    scores.append(TargetScore(target: Target(provider: candidate.provider, model: model), strategy: strategy, score: candidate.score))
                }
            }
        }
        return scores
    }
}
