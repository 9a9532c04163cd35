/// How candidates are ranked. Names follow DESIGN.md (and Hugging Face's router policies).
public enum RoutingStrategy: String, CaseIterable, Sendable, Codable {
    /// Expected time to a successful answer, failover included; price breaks near-ties.
    case balanced
    /// Time to first token and total time.
    case latency
    /// Output tokens per second.
    case fastest
    /// Price per successful request.
    case cheapest
    /// The configured order, skipping unhealthy targets.
    case preferred
}

/// The options of one route query.
public struct RouteQuery: Hashable, Sendable {
    public var model: ModelName
    public var strategy: RoutingStrategy
    /// Drop candidates whose expected price per request is above this (USD).
    public var maxPrice: Double?
    public var exclude: Set<ProviderID>
    public var limit: Int?
    public var pick: RoutePick
    /// What the request needs of a target (`needs=`, `min_context=`): those that cannot serve are left out.
    public var needs: CapabilityNeeds
    /// The task asked for (`task=`, chat by default): only the model's targets of this task are ranked.
    public var task: InferenceTask

    public init(model: ModelName, strategy: RoutingStrategy = .balanced, maxPrice: Double? = nil, exclude: Set<ProviderID> = [],
                limit: Int? = nil, pick: RoutePick = .ranked, needs: CapabilityNeeds = .none, task: InferenceTask = .chat) {
        self.task = task
        self.needs = needs
        self.model = model
        self.strategy = strategy
        self.maxPrice = maxPrice
        self.exclude = exclude
        self.limit = limit
        self.pick = pick
    }

    /// Whether the answer is the plain ranking every client would get (no filters, no needs, no
    /// spread): only such answers move the incumbent top pick.
    public var isCanonical: Bool { maxPrice == nil && exclude.isEmpty && pick == .ranked && needs.isEmpty }

    /// Whether `route`, this query's answer, is the plain ranking: the query is canonical, or
    /// its only filter is needs that left no target out and moved none (every gateway request
    /// carries a prompt-size need, and must not keep the incumbent from being recorded).
    public func answersCanonically(_ route: Route) -> Bool {
        if isCanonical { return true }
        return maxPrice == nil && exclude.isEmpty && pick == .ranked && !route.shapedByNeeds
    }
}

/// How the ranked list is ordered for one client.
public enum RoutePick: Hashable, Sendable {
    /// Best first, with the stability margin.
    case ranked
    /// A score-weighted random order, stable for one client id within a period, so many clients do not herd.
    case spread(client: String)
}

/// FNV-1a, a small stable hash (Swift's `Hasher` is seeded per process).
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}

/// One ranked candidate of a route, with everything a client needs to call it. Encoded with the
/// snake_case key strategy it is the route answer's `Candidate` of openapi/switchyard.json
/// (`RouteJSON` writes it by hand; RouteJSONTests holds the three equal).
public struct RouteCandidate: Hashable, Sendable, Encodable {
    public var provider: ProviderID
    public var upstreamModel: String
    public var baseURL: String
    public var score: Double
    public var state: TargetState
    public var latencyP50Ms: Double?
    public var latencyP90Ms: Double?
    public var latencyP99Ms: Double?
    public var ttftP50Ms: Double?
    public var tokensPerSecond: Double?
    public var successRate: Double
    /// Expected USD per request from the configured price and observed usage.
    public var pricePerRequest: Double?
    public var reasons: [String]

    public init(provider: ProviderID, upstreamModel: String, baseURL: String, score: Double, state: TargetState,
                latencyP50Ms: Double? = nil, latencyP90Ms: Double? = nil, latencyP99Ms: Double? = nil, ttftP50Ms: Double? = nil,
                tokensPerSecond: Double? = nil, successRate: Double, pricePerRequest: Double? = nil, reasons: [String] = []) {
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.baseURL = baseURL
        self.score = score
        self.state = state
        self.latencyP50Ms = latencyP50Ms
        self.latencyP90Ms = latencyP90Ms
        self.latencyP99Ms = latencyP99Ms
        self.ttftP50Ms = ttftP50Ms
        self.tokensPerSecond = tokensPerSecond
        self.successRate = successRate
        self.pricePerRequest = pricePerRequest
        self.reasons = reasons
    }
}

/// The ranked candidates for one model. `panic` means none is healthy and the list is a best effort.
public struct Route: Hashable, Sendable {
    public var model: ModelName
    /// The task the candidates serve.
    public var task: InferenceTask = .chat
    public var strategy: RoutingStrategy
    public var candidates: [RouteCandidate]
    /// Targets left out because they cannot serve the query's needs, with why.
    public var excluded: [RouteExclusion]
    public var panic: Bool
    /// In panic mode, the earliest time any candidate is expected back.
    public var earliestRetryAt: Timestamp?
    public var generatedAt: Timestamp
    /// Whether the query's needs left a target out or moved one down: else the answer is the
    /// plain ranking's, and may record its leader as a canonical answer does.
    public var shapedByNeeds = false

    public init(model: ModelName, strategy: RoutingStrategy, candidates: [RouteCandidate], excluded: [RouteExclusion] = [], panic: Bool,
                earliestRetryAt: Timestamp?, generatedAt: Timestamp) {
        self.excluded = excluded
        self.model = model
        self.strategy = strategy
        self.candidates = candidates
        self.panic = panic
        self.earliestRetryAt = earliestRetryAt
        self.generatedAt = generatedAt
    }
}

/// The answer to a route query: a route, or the models that do exist.
public enum RouteResult: Hashable, Sendable {
    case route(Route)
    case unknownModel(known: [ModelName])
    /// The model exists, but none of its targets does the task asked for; `served` are the tasks it has.
    case unservedTask(served: [InferenceTask])
}
