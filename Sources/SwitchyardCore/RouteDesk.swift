import Synchronization

/// Routing as a stage of its own: ranks one model's targets as the health book last saw them,
/// and keeps what a ranking must remember between answers (the incumbent leader of each
/// model and strategy, each `pick=spread` client's order). What is recorded is decided in one
/// step under this desk's lock, against the memory as it stands then, and only from health
/// at least as new as what the recorded leader was drawn from (the health book's version):
/// a decision drawn from older health never overwrites one drawn from newer health.
public final class RouteDesk: Sendable {
    private struct Key: Hashable {
        var model: ModelName
        var strategy: RoutingStrategy
        var task: InferenceTask = .chat
    }

    private struct Incumbent: Equatable {
        /// The provider that led the last recorded canonical answer (nil: none yet, or only panics).
        var provider: ProviderID?
        /// The health book's version that answer was drawn from.
        var version: UInt64
    }

    private struct State {
        var ranker: RouteRanker
        /// Counts replacements of `ranker`, so a ranking can tell whether it used the current one.
        var rankerGeneration: UInt64 = 0
        var incumbents: [Key: Incumbent] = [:]
        var spreadOrders = SpreadOrders()
        /// Decisions from health older than the last reconfiguration record nothing.
        var floor: UInt64 = 0
    }

    /// What a ranking depends on besides the health: read before ranking, and compared with
    /// the desk's state again in the step that decides.
    private struct Memory: Equatable {
        var incumbent: Incumbent?
        var spreadOrder: [ProviderID]?
        var rankerGeneration: UInt64
        var floor: UInt64
    }

    private let state: Mutex<State>

    public init(scoring: ScoringPolicy = ScoringPolicy()) {
        state = Mutex(State(ranker: RouteRanker(policy: scoring)))
    }

    /// The ranker (and its scoring policy) now.
    public var ranker: RouteRanker { state.withLock { $0.ranker } }

    /// Ranks `snapshots` (one model's targets, read from the health book at `version`) for `query`.
    /// A canonical answer (no filters, no spread; needs that changed nothing) from health at least as new as the last
    /// recorded one records its leader as the incumbent, so the next answer keeps it unless a
    /// challenger is better by the stability margin; a panic answer records no leader.
    ///
    /// The ranking runs outside the lock, on what the desk remembered a moment before. When it
    /// would change nothing the desk remembers, it is the answer as of that moment. Otherwise
    /// the deciding step (under the lock) keeps it only if that memory is still current and
    /// else ranks again there: every recorded decision is the one a fully locked desk would make.
    public func route(_ query: RouteQuery, over snapshots: [TargetSnapshot], version: UInt64, now: Timestamp) -> Route {
        let key = Key(model: query.model, strategy: query.strategy, task: query.task)
        var spreadKey: SpreadOrders.Key?
        if case .spread(let client) = query.pick {
            spreadKey = SpreadOrders.Key(client: client, model: query.model, strategy: query.strategy, task: query.task)
        }
        // A spread order is drawn over every candidate (the limit applies after), so a later,
        // wider question of the same client keeps it too.
        var whole = query
        if spreadKey != nil { whole.limit = nil }
        func memory(_ state: borrowing State) -> Memory {
            let held = spreadKey.flatMap { state.spreadOrders.held(for: $0, now: now, period: state.ranker.policy.spreadPeriodSeconds) }
            return Memory(incumbent: state.incumbents[key], spreadOrder: held, rankerGeneration: state.rankerGeneration, floor: state.floor)
        }
        /// The incumbent `route` would record, or nil when it records nothing.
        func record(_ route: Route, _ memory: Memory) -> Incumbent? {
            guard query.answersCanonically(route), version >= memory.floor, version >= memory.incumbent?.version ?? 0 else { return nil }
            let recorded = memory.incumbent?.provider
            return Incumbent(provider: route.panic ? recorded : route.candidates.first?.provider ?? recorded, version: version)
        }
        let (ranker, seen) = state.withLock { ($0.ranker, memory($0)) }
        var route = ranker.rank(snapshots, query: whole, now: now, incumbent: seen.incumbent?.provider, spreadOrder: seen.spreadOrder)
        let drawsSpread = spreadKey != nil && seen.spreadOrder == nil && !route.panic
        let recording = record(route, seen)
        if drawsSpread || (recording != nil && recording != seen.incumbent) {
            route = state.withLock { state -> Route in
                let current = memory(state)
                let route = current == seen ? route
                    : state.ranker.rank(snapshots, query: whole, now: now, incumbent: current.incumbent?.provider, spreadOrder: current.spreadOrder)
                if let spreadKey, current.spreadOrder == nil, !route.panic {
                    state.spreadOrders.remember(route.candidates.map(\.provider), for: spreadKey, at: now, period: state.ranker.policy.spreadPeriodSeconds)
                }
                if let incumbent = record(route, current) { state.incumbents[key] = incumbent }
                return route
            }
        }
        if spreadKey != nil, let limit = query.limit { route.candidates = Array(route.candidates.prefix(max(limit, 0))) }
        return route
    }

    /// The incumbent leader of `model`'s `task` targets under `strategy`, if any.
    public func incumbent(of model: ModelName, strategy: RoutingStrategy, task: InferenceTask = .chat) -> ProviderID? {
        state.withLock { $0.incumbents[Key(model: model, strategy: strategy, task: task)]?.provider }
    }

    /// Adopts a reload that the health book made at `version`: the models in `changed` (or, when
    /// `scoring` differs from the policy now, every model) are decided afresh, without an
    /// incumbent, and decisions from health older than `version` no longer record.
    public func reconfigure(changed: Set<ModelName>, scoring: ScoringPolicy?, version: UInt64) {
        state.withLock { state in
            if let scoring, scoring != state.ranker.policy {
                state.ranker = RouteRanker(policy: scoring)
                state.rankerGeneration &+= 1
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
            // Each task of the model is its own ranking; nearly every model has one task.
            var tasks: [InferenceTask] = []
            for snapshot in snapshots where !tasks.contains(snapshot.descriptor.task) { tasks.append(snapshot.descriptor.task) }
            for task in tasks {
                for strategy in strategies {
                    let incumbent = incumbents[Key(model: model, strategy: strategy, task: task)]?.provider
                    let route = ranker.rank(snapshots, query: RouteQuery(model: model, strategy: strategy, task: task), now: now, incumbent: incumbent)
                    for candidate in route.candidates {
                        scores.append(TargetScore(target: Target(provider: candidate.provider, model: model), strategy: strategy, score: candidate.score))
                    }
                }
            }
        }
        return scores
    }
}
