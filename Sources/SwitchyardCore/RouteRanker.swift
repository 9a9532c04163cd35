#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scoring settings shared by every strategy.
public struct ScoringPolicy: Hashable, Sendable {
    /// Half-life of the success estimate: old outcomes fade.
    public var successHalfLifeSeconds: Double = 300
    /// Latency assumed for a target with no successful sample yet (and no catalog figures).
    public var priorLatencySeconds: Double = 2
    /// Local samples a catalog's published figure counts as (`CatalogPrior`): it decides alone
    /// before the first local sample and has no say from this many on. 0 turns priors off.
    /// 1 (the catalog decides only until a figure's first local sample) had the least regret of
    /// 1, 2, 3 and 5 in `make bench-routing`'s catalog scenarios, right or wrong, noisy or not.
    public var catalogPriorWeight = 1
    /// Weight of a client report relative to a probe.
    public var reportWeight: Double = 2
    /// How much price may stretch a balanced score: at most this fraction for the dearest candidate.
    public var priceTieBreak: Double = 0.10
    /// Typical request size used to compare per-token prices.
    public var typicalTokensIn = 500
    public var typicalTokensOut = 200
    /// A challenger displaces the current top pick only when better by this fraction.
    public var stabilityMargin: Double = 0.10
    /// `pick=spread` keeps one client's order for this long before reshuffling.
    public var spreadPeriodSeconds: Double = 60

    public init() {}
}

/// Everything the ranker reads of one target at one moment.
public struct TargetSnapshot: Hashable, Sendable {
    public var descriptor: TargetDescriptor
    public var health: TargetHealth
    public var stats: TargetStats
    /// Reports waiting for a probe (or a second caller) to confirm them.
    public var corroboration = ReportCorroboration()
    /// Features the target's own 400 answers said it lacks, for a while.
    public var learned = LearnedCapabilities()

    /// What the target can serve at `now`: its descriptor's capabilities, with what it taught on top.
    public func capabilities(at now: Timestamp) -> Capabilities { learned.applied(to: descriptor.capabilities, at: now) }

    public init(descriptor: TargetDescriptor, health: TargetHealth, stats: TargetStats) {
        self.descriptor = descriptor
        self.health = health
        self.stats = stats
    }
}

/// Ranks the targets of one model for a query. Pure: same snapshots, query and time, same route.
///
/// `balanced` orders by the expected time to a successful answer when a client tries
/// candidates in order and fails over on error:
///
///     E = L + F · (1 − p) / p
///
/// with `p` the decayed success probability, `L` the p50 latency of a success and `F` the
/// mean time a failure costs before failing over (`L` when unknown). Ordering by `E` is the
/// optimal order for sequential attempts. Price stretches `E` by at most `priceTieBreak`
/// (the cheapest candidate by 0, the dearest by the full fraction), so it only decides
/// between near-equals. The reported score is `1 / E` (successful answers per second).
public struct RouteRanker: Sendable {
    public var policy: ScoringPolicy

    public init(policy: ScoringPolicy = ScoringPolicy()) { self.policy = policy }

    /// Ranks `snapshots` (the targets of one model) for `query` at `now`. `incumbent` is the
    /// provider that led the previous answer to the same question: it keeps the lead unless a
    /// challenger beats it by `stabilityMargin`, so near-equal targets do not flap.
    /// `spreadOrder` is the order a `pick=spread` client was given earlier in its period: the
    /// candidates keep it (those not in it follow, in the drawn order; unroutable ones drop out).
    public func rank(_ snapshots: [TargetSnapshot], query: RouteQuery, now: Timestamp, incumbent: ProviderID? = nil,
                     spreadOrder: [ProviderID]? = nil) -> Route {
        // Work on small index records: sorting whole snapshots would copy and retain them.
        var pool: [Scored] = []
        pool.reserveCapacity(snapshots.count)
        var routableCount = 0
        var excluded: [RouteExclusion] = []
        // Fields are read through the array subscript (not bound to a local) so that the
        // large snapshot values are borrowed, not copied and retained.
        for index in snapshots.indices {
            if snapshots[index].descriptor.task != query.task { continue }
            if !query.exclude.isEmpty, query.exclude.contains(snapshots[index].descriptor.target.provider) { continue }
            let price = expectedPrice(snapshots[index])
            if let max = query.maxPrice, let price, price > max { continue }
            var unknownNeeds = false
            if !query.needs.isEmpty {
                switch query.needs.fit(snapshots[index].capabilities(at: now)) {
                case .fits: break
                case .unknown: unknownNeeds = true
                case .lacks(let reason):
                    excluded.append(RouteExclusion(provider: snapshots[index].descriptor.target.provider, reason: reason))
                    continue
                }
            }
            let routable = snapshots[index].health.state.isRoutable
            if routable { routableCount += 1 }
            pool.append(Scored(index: index, price: price, key: 0, order: snapshots[index].descriptor.preferenceOrder, routable: routable,
                               recovery: snapshots[index].health.expectedRecovery, unknownNeeds: unknownNeeds))
        }
        let panic = routableCount == 0 && !pool.isEmpty
        if !panic { pool.removeAll { !$0.routable } }

        var cheapest = Double.infinity
        var dearest = -Double.infinity
        for item in pool {
            if let price = item.price {
                cheapest = min(cheapest, price)
                dearest = max(dearest, price)
            }
        }
        let priceRange = cheapest <= dearest ? cheapest...dearest : 0...0
        for i in pool.indices {
            let p = snapshots[pool[i].index].stats.successProbability(at: now, halfLifeSeconds: policy.successHalfLifeSeconds)
            pool[i].successProbability = p
            pool[i].key = sortKey(snapshots[pool[i].index], successProbability: p, strategy: query.strategy, price: pool[i].price, priceRange: priceRange)
        }
        var keptReason: String?
        if panic {
            pool.sort { a, b in
                let ra = a.recovery ?? now
                let rb = b.recovery ?? now
                return ra != rb ? ra < rb : a.order < b.order
            }
        } else {
            pool.sort { a, b in a.key != b.key ? a.key < b.key : a.order < b.order }
            switch query.pick {
            case .ranked:
                keptReason = keepIncumbent(incumbent, in: &pool, snapshots: snapshots, strategy: query.strategy)
            case .spread(let client):
                spread(&pool, client: client, now: now)
                if let spreadOrder {
                    let position = Dictionary(spreadOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                    let drawn = pool
                    pool = drawn.enumerated().sorted { a, b in
                        let pa = position[snapshots[a.element.index].descriptor.target.provider] ?? Int.max
                        let pb = position[snapshots[b.element.index].descriptor.target.provider] ?? Int.max
                        return pa != pb ? pa < pb : a.offset < b.offset
                    }.map(\.element)
                }
            }
        }
        // A target the gateway just saw fail, with a probe confirming, follows the others (not dropped; bounded in time).
        var demoted: Set<Int> = []
        if !panic {
            for item in pool where snapshots[item.index].corroboration.demoted(at: now) { demoted.insert(item.index) }
            if !demoted.isEmpty {
                pool = pool.filter { !demoted.contains($0.index) } + pool.filter { demoted.contains($0.index) }
            }
        }
        // Candidates not known to meet the needs follow those known to (each group keeps its order):
        // an unknown is a risk of a wasted attempt, a known "yes" is not.
        var reordered = false
        if let firstUnknown = pool.firstIndex(where: \.unknownNeeds) {
            reordered = pool[firstUnknown...].contains { !$0.unknownNeeds }
            if reordered { pool = pool.filter { !$0.unknownNeeds } + pool.filter(\.unknownNeeds) }
        }
        let shown = query.limit.map { Array(pool.prefix(max($0, 0))) } ?? pool
        var candidates = shown.map { candidate(snapshots[$0.index], scored: $0, query: query, now: now) }
        if let keptReason, !candidates.isEmpty { candidates[0].reasons.insert(keptReason, at: 0) }
        for i in candidates.indices where demoted.contains(shown[i].index) {
            candidates[i].reasons.insert(Self.demotionReason, at: 0)
        }
        let earliest = panic ? pool.compactMap(\.recovery).min() : nil
        var route = Route(model: query.model, strategy: query.strategy, candidates: candidates, excluded: excluded, panic: panic,
                          earliestRetryAt: earliest, generatedAt: now)
        route.task = query.task
        route.shapedByNeeds = !excluded.isEmpty || reordered
        return route
    }

    /// Why a candidate follows the others while a probe confirms what the gateway saw.
    public static let demotionReason = "tried after the others for at most \(Int(ReportCorroboration.demotionSeconds)) s: the gateway saw it fail; a probe is confirming"

    /// One candidate while ranking: an index into the snapshots and what it is sorted by.
    private struct Scored {
        var index: Int
        var price: Double?
        var key: Double
        var order: Int
        var routable: Bool
        var recovery: Timestamp?
        /// Some need of the query is not known to be met (ranked after those known to meet it).
        var unknownNeeds = false
        var successProbability = 0.5
    }

    /// Moves the incumbent back to the front unless the leader beats it by the margin.
    private func keepIncumbent(_ incumbent: ProviderID?, in scored: inout [Scored], snapshots: [TargetSnapshot], strategy: RoutingStrategy) -> String? {
        guard strategy != .preferred, let incumbent,
              let index = scored.firstIndex(where: { snapshots[$0.index].descriptor.target.provider == incumbent }), index > 0 else { return nil }
        let leader = scored[0]
        guard leader.key * (1 + policy.stabilityMargin) >= scored[index].key else { return nil }
        scored.insert(scored.remove(at: index), at: 0)
        return "kept as top pick: \(snapshots[leader.index].descriptor.target.provider) is within \(Int((policy.stabilityMargin * 100).rounded()))%"
    }

    /// A score-weighted random order (Efraimidis–Spirakis), the same for one client within a period.
    private func spread(_ scored: inout [Scored], client: String, now: Timestamp) {
        let epoch = UInt64(max(0, (now.secondsSinceEpoch / max(policy.spreadPeriodSeconds, 1)).rounded(.down)))
        var generator = SplitMix64(seed: fnv1a(client) ^ (epoch &* 0x9E37_79B9_7F4A_7C15))
        let keyed = scored.map { item -> (Scored, Double) in
            let weight = item.key > 0 && item.key.isFinite ? 1 / item.key : 1e-9
            let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            return (item, log(u) / weight)
        }
        scored = keyed.sorted { $0.1 > $1.1 }.map(\.0)
    }

    /// Expected USD per request for the typical request of the target's task (`TypicalRequest`),
    /// from config and observed usage.
    public func expectedPrice(_ snapshot: borrowing TargetSnapshot) -> Double? {
        guard let price = snapshot.descriptor.price else { return nil }
        let seconds = figureSeconds(snapshot) ?? priorSeconds(snapshot.descriptor.task)
        return TypicalRequest.of(snapshot.descriptor.task, policy: policy).cost(at: price, seconds: seconds)
    }

    /// Seconds a typical successful request of the target's task takes, by the task's
    /// `LatencyFigure`: the total time (blended with the catalog's), or for speech-to-text the
    /// measured seconds of compute per second of audio times the typical clip. Nil: unmeasured.
    public func figureSeconds(_ snapshot: borrowing TargetSnapshot) -> Double? {
        let task = snapshot.descriptor.task
        if task.latencyFigure == .computePerAudioSecond, let perAudioSecond = snapshot.stats.computePerAudioSecond.p50 {
            return perAudioSecond * TypicalRequest.of(task, policy: policy).audioSeconds
        }
        return snapshot.stats.latencyEstimate
    }

    /// The figure assumed for an unmeasured target of `task`: `priorLatencySeconds` (chat's) scaled
    /// by how long the task's requests may take against chat's (an image 4 s, a video 20 s), so an
    /// unmeasured image target does not outrank a measured 3 s one on a chat-sized guess.
    public func priorSeconds(_ task: InferenceTask) -> Double {
        policy.priorLatencySeconds * task.defaultAttemptTimeoutSeconds / InferenceTask.chat.defaultAttemptTimeoutSeconds
    }

    /// Lower is better, for every strategy. Tasks that do not stream tokens have no first token
    /// and no token rate: `latency` and `fastest` rank them on their figure, as `balanced` does
    /// without the failover term.
    func sortKey(_ snapshot: borrowing TargetSnapshot, successProbability p: Double, strategy: RoutingStrategy, price: Double?, priceRange: ClosedRange<Double>) -> Double {
        let stats = snapshot.stats
        let latency = figureSeconds(snapshot) ?? priorSeconds(snapshot.descriptor.task)
        if !snapshot.descriptor.task.generatesText, strategy == .latency || strategy == .fastest { return latency / p }
        switch strategy {
        case .balanced:
            let failureCost = stats.failureSeconds.mean ?? latency
            let expectedTime = latency + failureCost * (1 - p) / p
            let width = priceRange.upperBound - priceRange.lowerBound
            let priceFraction = (price != nil && width > 0) ? (price! - priceRange.lowerBound) / width : 0
            return expectedTime * (1 + policy.priceTieBreak * priceFraction)
        case .latency:
            let ttft = stats.ttftEstimate ?? latency
            return (0.5 * ttft + 0.5 * latency) / p
        case .fastest:
            guard let rate = stats.tokensPerSecondEstimate, rate > 0 else { return 1e9 + latency / p }
            return 1 / (rate * p)
        case .cheapest:
            return (price ?? 0) / p
        case .preferred:
            return Double(snapshot.descriptor.preferenceOrder)
        }
    }

    private func candidate(_ snapshot: borrowing TargetSnapshot, scored: Scored, query: RouteQuery, now: Timestamp) -> RouteCandidate {
        let stats = snapshot.stats
        let descriptor = snapshot.descriptor
        let p = scored.successProbability
        let key = scored.key
        let price = scored.price
        let score: Double = switch query.strategy {
        case .preferred: 1 / Double(descriptor.preferenceOrder + 1)
        default: key > 0 ? 1 / key : 0
        }
        return RouteCandidate(
            provider: descriptor.target.provider,
            upstreamModel: descriptor.upstreamModel,
            baseURL: descriptor.baseURL,
            score: score,
            state: snapshot.health.state,
            latencyP50Ms: stats.total.p50.map { $0 * 1000 },
            latencyP90Ms: stats.total.p90.map { $0 * 1000 },
            latencyP99Ms: stats.total.p99.map { $0 * 1000 },
            ttftP50Ms: stats.ttft.p50.map { $0 * 1000 },
            tokensPerSecond: stats.tokensPerSecond.p50,
            successRate: p,
            pricePerRequest: price,
            reasons: RouteReasons.describe(snapshot, now: now, needs: query.needs, price: price, policy: policy)
        )
    }
}
