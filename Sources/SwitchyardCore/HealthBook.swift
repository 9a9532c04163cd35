import Synchronization

/// The live health and statistics of every configured target, shared by the probe
/// loop (writes) and the API (reads). Health decisions are delegated to the pure
/// `TargetHealth`; this type only keeps them consistent under a lock. Routing is the next
/// stage, `routing` (a `RouteDesk`), which ranks what this book holds and keeps the ranking's
/// own memory (incumbents, spread orders) where it decides.
///
/// Targets are stored per model, in configuration order, as the very snapshot array the
/// ranker reads: answering a route takes this lock only to retain that array and its version.
public final class HealthBook: Sendable {
    private struct State {
        /// Each model's targets in configuration order.
        var models: [ModelName: [TargetSnapshot]] = [:]
        /// Where each target sits in its model's array.
        var positions: [Target: Int] = [:]
        /// Counts every change of any target's health or statistics, so routing can tell older
        /// readings from newer ones.
        var version: UInt64 = 0
        /// The health state machine's settings and the scoring policy's weights for statistics;
        /// a reload may replace them.
        var healthPolicy: HealthPolicy
        var scoring: ScoringPolicy

        /// `transitions` receives the targets a catalog's `status: error` moved to degraded:
        /// new ones, and those whose published status just turned `error`.
        init(descriptors: [TargetDescriptor], previous: State?, now: Timestamp, healthPolicy: HealthPolicy, scoring: ScoringPolicy,
             transitions: inout [Transition]) {
            self.healthPolicy = healthPolicy
            self.scoring = scoring
            self.version = previous.map { $0.version + 1 } ?? 0
            for descriptor in descriptors {
                let target = descriptor.target
                let kept = previous?.snapshot(of: target)
                var snapshot = kept ?? TargetSnapshot(descriptor: descriptor, health: TargetHealth(since: now), stats: TargetStats())
                if descriptor.published?.status == .error, kept?.descriptor.published?.status != .error,
                   let transition = snapshot.health.catalogReportsError(target: target, at: now) {
                    transitions.append(transition)
                }
                snapshot.descriptor = descriptor
                // A refresh moves the prior; the local samples stay.
                snapshot.stats.setPrior(CatalogPrior(descriptor.published, weight: scoring.catalogPriorWeight, typicalTokensOut: scoring.typicalTokensOut))
                positions[target] = models[target.model, default: []].count
                models[target.model, default: []].append(snapshot)
            }
        }

        func snapshot(of target: Target) -> TargetSnapshot? {
            positions[target].map { models[target.model]![$0] }
        }

        /// Applies `change` to one target in place; nil when it is not configured.
        mutating func update<T>(_ target: Target, _ change: (inout TargetSnapshot) -> T) -> T? {
            guard let position = positions[target] else { return nil }
            version &+= 1
            return change(&models[target.model]![position])
        }
    }

    private let state: Mutex<State>
    /// The routing stage that ranks this book's targets.
    public let routing: RouteDesk

    public init(descriptors: [TargetDescriptor], healthPolicy: HealthPolicy = HealthPolicy(), scoring: ScoringPolicy = ScoringPolicy(), now: Timestamp) {
        var started: [Transition] = []  // a start records no transitions
        self.state = Mutex(State(descriptors: descriptors, previous: nil, now: now, healthPolicy: healthPolicy, scoring: scoring, transitions: &started))
        self.routing = RouteDesk(scoring: scoring)
    }

    /// The ranker (and its scoring policy) now.
    public var ranker: RouteRanker { routing.ranker }

    /// Replaces the set of targets (a config reload): targets that stay keep their state and
    /// statistics and take the new descriptor (price, order, URL); removed ones are forgotten;
    /// new ones start `unknown`. A model whose targets changed is decided afresh (no incumbent),
    /// and so is every model when the policies change. Current states stand; the new health
    /// policy applies from the next observation. Published catalog figures replace each target's
    /// prior (its samples stay); returns the moves to degraded of targets whose catalog status is
    /// newly `error`.
    @discardableResult
    public func reconfigure(descriptors: [TargetDescriptor], healthPolicy: HealthPolicy? = nil, scoring: ScoringPolicy? = nil,
                            now: Timestamp) -> [Transition] {
        var transitions: [Transition] = []
        let (changed, version) = state.withLock { state -> (Set<ModelName>, UInt64) in
            let next = State(descriptors: descriptors, previous: state, now: now, healthPolicy: healthPolicy ?? state.healthPolicy,
                             scoring: scoring ?? state.scoring, transitions: &transitions)
            let every = Set(next.models.keys).union(state.models.keys)
            let changed = healthPolicy.map { $0 != state.healthPolicy } == true ? every : every.filter { model in
                next.models[model]?.map(\.descriptor.routingIdentity) != state.models[model]?.map(\.descriptor.routingIdentity)
            }
            state = next
            return (changed, next.version)
        }
        // Answers drawn from the old configuration after this point record nothing (their version is older).
        routing.reconfigure(changed: changed, scoring: scoring, version: version)
        return transitions
    }

    /// Every configured model name, sorted.
    public var models: [ModelName] {
        state.withLock { $0.models.keys.sorted() }
    }

    /// Folds one observation into its target; returns the last transition it caused, if any.
    /// Observations of targets that are not configured are ignored (and return nil).
    @discardableResult
    public func observe(_ observation: Observation) -> Transition? {
        apply(observation).transitions.last
    }

    /// Folds one observation into its target's statistics, and into its health through the
    /// target's `ReportCorroboration`: one caller's reports wait for a probe (or a second caller)
    /// before they move the state. Says what changed and whether to probe the target now.
    public func apply(_ observation: Observation) -> HealthUpdate {
        state.withLock { state -> HealthUpdate in
            let reportWeight = state.scoring.reportWeight
            let halfLife = state.scoring.successHalfLifeSeconds
            let policy = state.healthPolicy
            return state.update(observation.target) { snapshot in
                let weight = (observation.source == .report ? reportWeight : 1) * observation.evidenceWeight
                snapshot.stats.record(observation, weight: weight, halfLifeSeconds: halfLife)
                let decision = snapshot.corroboration.admit(observation, health: snapshot.health, policy: policy, weight: weight)
                var transitions: [Transition] = []
                for applied in decision.apply {
                    let appliedWeight = (applied.source == .report ? reportWeight : 1) * applied.evidenceWeight
                    guard let transition = snapshot.health.observe(applied, policy: policy, weight: appliedWeight) else { continue }
                    transitions.append(transition.attributed(to: decision.apply, confirmedByProbe: decision.confirmedByProbe))
                }
                return HealthUpdate(transitions: transitions, probeNow: decision.probeNow)
            } ?? HealthUpdate()
        }
    }

    /// Rebuilds health and statistics from stored history before the first probe: replays
    /// the observations oldest first through the same state machine (their transitions were
    /// recorded already and are discarded), then re-applies admin drains. Returns the
    /// configured targets that had any history.
    @discardableResult
    public func warmStart(_ warm: WarmStart) -> Set<Target> {
        let ordered = warm.observations.sorted { $0.finishedAt < $1.finishedAt }
        return state.withLock { state -> Set<Target> in
            let halfLife = state.scoring.successHalfLifeSeconds
            let reportWeight = state.scoring.reportWeight
            let policy = state.healthPolicy
            var restored: Set<Target> = []
            for observation in ordered {
                let weight = observation.source == .report ? reportWeight : 1
                let replayed: Void? = state.update(observation.target) { snapshot in
                    snapshot.stats.record(observation, weight: weight, halfLifeSeconds: halfLife)
                    // Through the same cap as live: stored reports (their callers are not stored)
                    // move the state only where a probe confirmed them.
                    let decision = snapshot.corroboration.admit(observation, health: snapshot.health, policy: policy, weight: weight)
                    for applied in decision.apply {
                        _ = snapshot.health.observe(applied, policy: policy, weight: applied.source == .report ? reportWeight : 1)
                    }
                }
                if replayed != nil { restored.insert(observation.target) }
            }
            for (target, at) in warm.drained {
                let drained: Void? = state.update(target) { snapshot in
                    _ = snapshot.health.drain(target: target, at: at, by: "an admin before the restart")
                }
                if drained != nil { restored.insert(target) }
            }
            return restored
        }
    }

    /// Believes `target` lacks `feature` from `now` for `seconds`, because its own 400 said so: routes
    /// that need the feature leave it out meanwhile. Counts against no health. True when this is news
    /// (the target was not already believed to lack it); false also for a target not configured.
    @discardableResult
    public func learnUnsupported(_ feature: UnsupportedFeature, of target: Target, at now: Timestamp,
                                 forSeconds seconds: Double = LearnedCapabilities.defaultSeconds) -> Bool {
        state.withLock { state in
            state.update(target) { $0.learned.learn(feature, at: now, forSeconds: seconds) } ?? false
        }
    }

    /// The configuration of a target, or nil when it is not configured.
    public func descriptor(of target: Target) -> TargetDescriptor? {
        state.withLock { $0.snapshot(of: target)?.descriptor }
    }

    /// Drains (or undrains) every target of a provider; nil when the provider is unknown.
    public func setDraining(_ draining: Bool, provider: ProviderID, at now: Timestamp, by caller: String) -> [Transition]? {
        state.withLock { state -> [Transition]? in
            let targets = state.positions.keys.filter { $0.provider == provider }.sorted()
            guard !targets.isEmpty else { return nil }
            return targets.compactMap { target in
                state.update(target) { snapshot in
                    draining
                        ? snapshot.health.drain(target: target, at: now, by: caller)
                        : snapshot.health.undrain(target: target, at: now, by: caller)
                } ?? nil
            }
        }
    }

    /// Ranks the targets of a model through `routing`, or names the known models when it does not
    /// exist, or the tasks it serves when none of its targets does the query's task.
    /// A canonical answer (no filters, no spread) records its leader as the incumbent, so the
    /// next answer keeps it unless a challenger is better by the stability margin.
    public func route(_ query: RouteQuery, now: Timestamp) -> RouteResult {
        guard let (snapshots, version) = state.withLock({ state in state.models[query.model].map { ($0, state.version) } }) else {
            return .unknownModel(known: models)
        }
        if !snapshots.contains(where: { $0.descriptor.task == query.task }) {
            var served: [InferenceTask] = []
            for snapshot in snapshots where !served.contains(snapshot.descriptor.task) { served.append(snapshot.descriptor.task) }
            return .unservedTask(served: served)
        }
        return .route(routing.route(query, over: snapshots, version: version, now: now))
    }

    /// When the target's next probe is worth making, given its probe interval and when the last one finished.
    public func nextProbe(of target: Target, after now: Timestamp, interval: Double) -> Timestamp {
        let (health, policy) = state.withLock { ($0.snapshot(of: target)?.health, $0.healthPolicy) }
        return health?.nextProbe(after: now, interval: interval, policy: policy) ?? now + interval
    }

    /// Every target's score under each strategy now, as `route` would rank it. Reads only:
    /// the route stability state (incumbents) is not touched, so scraping changes nothing.
    public func scores(now: Timestamp, strategies: [RoutingStrategy] = RoutingStrategy.allCases) -> [TargetScore] {
        routing.scores(of: state.withLock { $0.models }, now: now, strategies: strategies)
    }

    /// How many targets are in each state (states with none are absent): the daemon's
    /// status line, without copying every target's statistics as `snapshots()` does.
    public func stateCounts() -> [TargetState: Int] {
        state.withLock { state in
            var counts: [TargetState: Int] = [:]
            for snapshots in state.models.values {
                for snapshot in snapshots { counts[snapshot.health.state, default: 0] += 1 }
            }
            return counts
        }
    }

    /// Whether a first-hand gateway failure has `target` tried after the others now (`ReportCorroboration`).
    public func isDemoted(_ target: Target, at now: Timestamp) -> Bool {
        state.withLock { $0.snapshot(of: target)?.corroboration.demoted(at: now) } ?? false
    }

    /// Every target's current state and statistics, sorted by provider then model.
    public func snapshots() -> [TargetSnapshot] {
        state.withLock { state in
            state.models.values.flatMap { $0 }.sorted { $0.descriptor.target < $1.descriptor.target }
        }
    }
}

/// What one observation did to its target's health.
public struct HealthUpdate: Hashable, Sendable {
    /// The state changes, in order (a released batch of held reports may make several).
    public var transitions: [Transition] = []
    /// Whether the target should be probed at once, to confirm or refute a caller's reports.
    public var probeNow = false

    public init(transitions: [Transition] = [], probeNow: Bool = false) {
        self.transitions = transitions
        self.probeNow = probeNow
    }
}

/// One target's routing score under one strategy.
public struct TargetScore: Hashable, Sendable {
    public var target: Target
    public var strategy: RoutingStrategy
    public var score: Double

    public init(target: Target, strategy: RoutingStrategy, score: Double) {
        self.target = target
        self.strategy = strategy
        self.score = score
    }
}
