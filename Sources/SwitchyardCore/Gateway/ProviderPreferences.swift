/// The body's `provider` object, the way OpenRouter users send it. Removed before forwarding.
public struct ProviderPreferences: Hashable, Sendable {
    /// Try these first, in this order.
    public var order: [ProviderID] = []
    /// Only these.
    public var only: Set<ProviderID>?
    /// Never these.
    public var ignore: Set<ProviderID> = []
    /// False: only the providers in `order` (or the pinned one), no others.
    public var allowFallbacks = true
    /// `price`, `throughput` or `latency` as a routing strategy.
    public var sort: RoutingStrategy?
    /// USD per request, as `/v1/route?max_price=`.
    public var maxPricePerRequest: Double?
    /// USD per million tokens (`{"prompt": .., "completion": ..}`), against the configured price.
    public var maxInputPerMTok: Double?
    public var maxOutputPerMTok: Double?
    /// Soft: candidates slower than this (p50 latency, seconds) move down, they are not dropped.
    public var preferredMaxLatencySeconds: Double?
    /// Soft: candidates below this many output tokens/s move down.
    public var preferredMinThroughput: Double?

    public init() {}

    /// OpenRouter's `sort` names, and ours.
    public static func strategy(sort text: String) -> RoutingStrategy? {
        switch text {
        case "price": .cheapest
        case "throughput": .fastest
        case "latency": .latency
        default: RoutingStrategy(rawValue: text)
        }
    }
}

/// Turns a ranked route into the ordered list the gateway tries: the pin, the body's
/// filters and order, then the soft demotions. Pure; the ranking itself is the router's.
public enum CandidatePlan {
    /// `prices` gives a target's configured price (for per-token `max_price`).
    public static func order(_ candidates: [RouteCandidate], selection: ModelSelection, preferences: ProviderPreferences,
                             price: (ProviderID) -> Price?) -> [RouteCandidate] {
        var list = candidates.filter { candidate in
            let provider = candidate.provider
            if let pinned = selection.pinned, provider != pinned { return false }
            if let only = preferences.only, !only.contains(provider) { return false }
            if preferences.ignore.contains(provider) { return false }
            if let limit = preferences.maxPricePerRequest, let expected = candidate.pricePerRequest, expected > limit { return false }
            if preferences.maxInputPerMTok != nil || preferences.maxOutputPerMTok != nil, let configured = price(provider) {
                if let limit = preferences.maxInputPerMTok, (configured.inputPerMTok ?? 0) > limit { return false }
                if let limit = preferences.maxOutputPerMTok, (configured.outputPerMTok ?? 0) > limit { return false }
            }
            return true
        }
        if !preferences.order.isEmpty {
            let rank = Dictionary(preferences.order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            let listed = list.filter { rank[$0.provider] != nil }.sorted { rank[$0.provider]! < rank[$1.provider]! }
            let others = preferences.allowFallbacks ? list.filter { rank[$0.provider] == nil } : []
            list = listed + others
        }
        if preferences.preferredMaxLatencySeconds != nil || preferences.preferredMinThroughput != nil {
            let meets = list.filter { meetsSoftPreferences($0, preferences) }
            list = meets + list.filter { !meetsSoftPreferences($0, preferences) }
        }
        return list
    }

    private static func meetsSoftPreferences(_ candidate: RouteCandidate, _ preferences: ProviderPreferences) -> Bool {
        if let limit = preferences.preferredMaxLatencySeconds, let p50 = candidate.latencyP50Ms, p50 / 1000 > limit { return false }
        if let floor = preferences.preferredMinThroughput, let rate = candidate.tokensPerSecond, rate < floor { return false }
        return true
    }
}
