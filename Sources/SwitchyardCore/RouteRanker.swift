#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scoring settings shared by every strategy.
public struct ScoringPolicy: Hashable, Sendable {
    /// Half-life of the success estimate: old outcomes fade.
    public var successHalfLifeSeconds: Double = 300
    /// Latency assumed for a target with no successful sample yet.
    public var priorLatencySeconds: Double = 2
    /// Weight of a client report relative to a probe.
    public var reportWeight: Double = 2
    /// How much price may stretch a balanced score: at most this fraction for the dearest candidate.
    public var priceTieBreak: Double = 0.05
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
    public func rank(_ snapshots: [TargetSnapshot], query: RouteQuery, now: Timestamp, incumbent: ProviderID? = nil) -> Route {
        let eligible = snapshots.filter { !query.exclude.contains($0.descriptor.target.provider) }
        let priced = eligible.map { ($0, expectedPrice($0)) }.filter { _, price in
            guard let max = query.maxPrice, let price else { return true }
            return price <= max
        }
        let routable = priced.filter { snapshot, _ in snapshot.health.state.isRoutable }
        let panic = routable.isEmpty && !priced.isEmpty
        let pool = panic ? priced : routable

        let prices = pool.compactMap(\.1)
        let priceRange = (prices.min() ?? 0)...(prices.max() ?? 0)
        var scored = pool.map { snapshot, price in
            Scored(snapshot: snapshot, price: price, key: sortKey(snapshot, strategy: query.strategy, price: price, priceRange: priceRange, now: now))
        }
        var keptReason: String?
        if panic {
            scored.sort { a, b in
                let ra = a.snapshot.health.expectedRecovery ?? now
                let rb = b.snapshot.health.expectedRecovery ?? now
                return ra != rb ? ra < rb : a.order < b.order
            }
        } else {
            scored.sort { a, b in a.key != b.key ? a.key < b.key : a.order < b.order }
            switch query.pick {
            case .ranked:
                keptReason = keepIncumbent(incumbent, in: &scored, strategy: query.strategy)
            case .spread(let client):
                spread(&scored, client: client, now: now)
            }
        }
        var candidates = scored.map { candidate($0.snapshot, price: $0.price, key: $0.key, query: query, now: now) }
        if let keptReason, !candidates.isEmpty { candidates[0].reasons.insert(keptReason, at: 0) }
        if let limit = query.limit { candidates = Array(candidates.prefix(max(limit, 0))) }
        let earliest = panic ? pool.compactMap { $0.0.health.expectedRecovery }.min() : nil
        return Route(model: query.model, strategy: query.strategy, candidates: candidates, panic: panic, earliestRetryAt: earliest, generatedAt: now)
    }

    private struct Scored {
        var snapshot: TargetSnapshot
        var price: Double?
        var key: Double
        var order: Int { snapshot.descriptor.preferenceOrder }
    }

    /// Moves the incumbent back to the front unless the leader beats it by the margin.
    private func keepIncumbent(_ incumbent: ProviderID?, in scored: inout [Scored], strategy: RoutingStrategy) -> String? {
        guard strategy != .preferred, let incumbent,
              let index = scored.firstIndex(where: { $0.snapshot.descriptor.target.provider == incumbent }), index > 0 else { return nil }
        let leader = scored[0]
        guard leader.key * (1 + policy.stabilityMargin) >= scored[index].key else { return nil }
        scored.insert(scored.remove(at: index), at: 0)
        return "kept as top pick: \(leader.snapshot.descriptor.target.provider) is within \(Int((policy.stabilityMargin * 100).rounded()))%"
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

    /// Expected USD per request for the typical request size, from config and observed usage.
    public func expectedPrice(_ snapshot: TargetSnapshot) -> Double? {
        guard let price = snapshot.descriptor.price else { return nil }
        let seconds = snapshot.stats.total.p50 ?? policy.priorLatencySeconds
        return price.cost(tokensIn: policy.typicalTokensIn, tokensOut: policy.typicalTokensOut, seconds: seconds)
    }

    /// Lower is better, for every strategy.
    func sortKey(_ snapshot: TargetSnapshot, strategy: RoutingStrategy, price: Double?, priceRange: ClosedRange<Double>, now: Timestamp) -> Double {
        let stats = snapshot.stats
        let p = stats.successProbability(at: now, halfLifeSeconds: policy.successHalfLifeSeconds)
        let latency = stats.total.p50 ?? policy.priorLatencySeconds
        switch strategy {
        case .balanced:
            let failureCost = stats.failureSeconds.mean ?? latency
            let expectedTime = latency + failureCost * (1 - p) / p
            let width = priceRange.upperBound - priceRange.lowerBound
            let priceFraction = (price != nil && width > 0) ? (price! - priceRange.lowerBound) / width : 0
            return expectedTime * (1 + policy.priceTieBreak * priceFraction)
        case .latency:
            let ttft = stats.ttft.p50 ?? latency
            return (0.5 * ttft + 0.5 * latency) / p
        case .fastest:
            guard let rate = stats.tokensPerSecond.p50, rate > 0 else { return 1e9 + latency / p }
            return 1 / (rate * p)
        case .cheapest:
            return (price ?? 0) / p
        case .preferred:
            return Double(snapshot.descriptor.preferenceOrder)
        }
    }

    private func candidate(_ snapshot: TargetSnapshot, price: Double?, key: Double, query: RouteQuery, now: Timestamp) -> RouteCandidate {
        let stats = snapshot.stats
        let descriptor = snapshot.descriptor
        let p = stats.successProbability(at: now, halfLifeSeconds: policy.successHalfLifeSeconds)
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
            reasons: RouteReasons.describe(snapshot, successProbability: p, now: now)
        )
    }
}
