import SwitchyardCore

/// `GET /v1/route` answer.
struct RouteBody: Encodable {
    var model: ModelName
    var strategy: RoutingStrategy
    var candidates: [RouteCandidate]
    var panic: Bool
    var earliestRetryAt: String?
    var generatedAt: String

    init(_ route: Route) {
        model = route.model
        strategy = route.strategy
        candidates = route.candidates
        panic = route.panic
        earliestRetryAt = route.earliestRetryAt?.rfc3339
        generatedAt = route.generatedAt.rfc3339
    }

    enum CodingKeys: String, CodingKey {
        case model, strategy, candidates, panic
        case earliestRetryAt = "earliest_retry_at"
        case generatedAt = "generated_at"
    }
}

/// One target in `GET /v1/providers`.
struct TargetBody: Encodable {
    var model: ModelName
    var upstreamModel: String
    var state: TargetState
    var stateSince: String
    var consecutiveFailures: Int
    var ejectedUntil: String?
    var retryAt: String?
    var samples: Int
    var successRate: Double
    var latencyP50Ms: Double?
    var latencyP99Ms: Double?
    var ttftP50Ms: Double?
    var lastError: String?
    var lastErrorMessage: String?
    var lastErrorAt: String?
    var lastObservedAt: String?

    init(_ snapshot: TargetSnapshot, successRate: Double) {
        let health = snapshot.health
        let stats = snapshot.stats
        model = snapshot.descriptor.target.model
        upstreamModel = snapshot.descriptor.upstreamModel
        state = health.state
        stateSince = health.since.rfc3339
        consecutiveFailures = health.consecutiveFailures
        ejectedUntil = health.state == .ejected ? health.ejectedUntil?.rfc3339 : nil
        retryAt = health.state == .rateLimited ? health.retryAt?.rfc3339 : nil
        samples = stats.samples
        self.successRate = successRate
        latencyP50Ms = stats.total.p50.map { $0 * 1000 }
        latencyP99Ms = stats.total.p99.map { $0 * 1000 }
        ttftP50Ms = stats.ttft.p50.map { $0 * 1000 }
        lastError = stats.lastError?.rawValue
        lastErrorMessage = stats.lastErrorMessage
        lastErrorAt = stats.lastErrorAt?.rfc3339
        lastObservedAt = stats.lastObservedAt?.rfc3339
    }

    enum CodingKeys: String, CodingKey {
        case model, state, samples
        case upstreamModel = "upstream_model"
        case stateSince = "state_since"
        case consecutiveFailures = "consecutive_failures"
        case ejectedUntil = "ejected_until"
        case retryAt = "retry_at"
        case successRate = "success_rate"
        case latencyP50Ms = "latency_p50_ms"
        case latencyP99Ms = "latency_p99_ms"
        case ttftP50Ms = "ttft_p50_ms"
        case lastError = "last_error"
        case lastErrorMessage = "last_error_message"
        case lastErrorAt = "last_error_at"
        case lastObservedAt = "last_observed_at"
    }
}

/// One provider in `GET /v1/providers`.
struct ProviderBody: Encodable {
    var name: ProviderID
    var baseURL: String
    var targets: [TargetBody]
    /// Present when the provider has a probe budget.
    var probeBudget: ProbeBudgetBody?

    enum CodingKeys: String, CodingKey {
        case name, targets
        case baseURL = "base_url"
        case probeBudget = "probe_budget"
    }
}

/// A provider's probe budget today: when it is spent, completion probes pause until `resets_at`.
struct ProbeBudgetBody: Encodable {
    var limitUSD: Double?
    var spentTodayUSD: Double
    var remainingUSD: Double?
    var completionProbesPaused: Bool
    var resetsAt: String

    init(_ status: ProbeBudgetStatus) {
        limitUSD = status.limitUSD
        spentTodayUSD = status.spentTodayUSD
        remainingUSD = status.remainingUSD
        completionProbesPaused = status.completionProbesPaused
        resetsAt = status.resetsAt.rfc3339
    }

    enum CodingKeys: String, CodingKey {
        case limitUSD = "limit_usd"
        case spentTodayUSD = "spent_today_usd"
        case remainingUSD = "remaining_usd"
        case completionProbesPaused = "completion_probes_paused"
        case resetsAt = "resets_at"
    }
}

/// `GET /readyz` answer.
struct ReadinessBody: Encodable {
    var ready: Bool
    var configLoaded: Bool
    var firstProbeRoundDone: Bool
    var warmStarted: Bool
    var storageProblem: String?
    var databaseRecovered: String?
    var reloadProblem: String?

    init(_ status: Readiness.Status) {
        ready = status.isReady
        configLoaded = status.configLoaded
        firstProbeRoundDone = status.firstProbeRoundDone
        warmStarted = status.warmStarted
        storageProblem = status.storageProblem
        databaseRecovered = status.databaseRecovered
        reloadProblem = status.reloadProblem
    }

    enum CodingKeys: String, CodingKey {
        case ready
        case configLoaded = "config_loaded"
        case firstProbeRoundDone = "first_probe_round_done"
        case warmStarted = "warm_started"
        case storageProblem = "storage_problem"
        case databaseRecovered = "database_recovered"
        case reloadProblem = "reload_problem"
    }
}
