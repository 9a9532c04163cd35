import Prometheus

/// The name, unit and help text of every metric, in one place: `promtool check metrics`
/// refuses metrics without help, and the dashboards and alert rules use these names.
/// The per-target metrics are `SharedMetricName`s, built once.
enum MetricName {
    static func name(_ subsystem: String?, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "switchyard", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    static let probeResults = SharedMetricName(name("probe", "results", "total", "Probes finished, by target and outcome (ok or error class)."))
    static let reportResults = SharedMetricName(name("report", "results", "total", "Client reports accepted, by target and outcome."))
    static let probeDuration = SharedMetricName(name("probe", "duration", "seconds",
                                    "Probe time by phase (libcurl: dns, connect, tls, first_byte, total), each from the start of the probe."))
    static let probeTTFT = SharedMetricName(name("probe", "ttft", "seconds", "Completion probes: time to the first content or reasoning token."))
    static let probeTokensPerSecond = SharedMetricName(name("probe", "output_tokens_per_second", "", "Completion probes: output tokens per second after the first token."))
    static let targetInfo = SharedMetricName(name("target", "info", "",
        "1 for every configured target, labelled with its probe kind and task: join on provider and model to group any target series by task."))
    static let targetState = SharedMetricName(name("target", "state", "", "1 for the state each target is in now, 0 for the others."))
    static let transitions = SharedMetricName(name("target", "transitions", "total", "State transitions, by target and the state entered (to=\"ejected\" counts ejections)."))
    static let routeScore = SharedMetricName(name("route", "score", "", "Each target's routing score now, by strategy (higher is better; 0 when it cannot be routed to)."))
    static var routeQueries: MetricNameDescriptor { name("route", "queries", "total", "Route queries answered, by strategy and result.") }
    static let cost = SharedMetricName(name(nil, "cost_usd", "total",
                           "USD spent, by target and source (probe: our probes; report: clients' real requests), from the configured price and observed usage."))
    static var rejectedReports: MetricNameDescriptor { name("report", "rejected", "total", "Client report items refused, by reason.") }
    static var budgetRemaining: MetricNameDescriptor { name("probe", "budget_remaining_usd", "", "USD left of today's probe budget (UTC day), per provider with a budget.") }
    static var budgetExhausted: MetricNameDescriptor { name("probe", "budget_exhausted", "", "1 while today's probe budget is spent and completion probes are paused.") }
    static var storeQueueDepth: MetricNameDescriptor { name("store", "queue_depth", "", "Records waiting for the SQLite writer.") }
    static var storeDropped: MetricNameDescriptor { name("store", "dropped_records", "total", "Records dropped because the writer's queue was full.") }
    static var storeWriteErrors: MetricNameDescriptor { name("store", "write_errors", "total", "SQLite batches that failed to commit (each is retried).") }
    static var storeHealthy: MetricNameDescriptor { name("store", "healthy", "", "1 while SQLite writes succeed, 0 while they fail (disk full, I/O error).") }
    static var storeBytes: MetricNameDescriptor { name("store", "database", "bytes", "Bytes the SQLite database and its WAL take on disk.") }
    static var storeRecovered: MetricNameDescriptor {
        name("store", "database_recovered", "total", "Times a corrupt state database was moved aside at start-up and a fresh one started (history before it is in the moved file).")
    }
    static var reloads: MetricNameDescriptor { name("config", "reloads", "total", "Configuration reloads, by result (success, failure).") }
    static var reloadSuccess: MetricNameDescriptor { name("config", "last_reload_successful", "", "1 when the last configuration reload succeeded (or none was tried), 0 when it was refused.") }
    static var reloadTimestamp: MetricNameDescriptor { name("config", "last_reload_success_timestamp", "seconds", "Unix time of the last configuration load that succeeded (start-up or reload).") }
    static var refusedConnections: MetricNameDescriptor {
        name("listener", "refused_connections", "total", "TCP connections closed at once because their peer address already had listen.max_connections_per_peer open.")
    }
    static var gatewayRequests: MetricNameDescriptor { name("gateway", "requests", "total", "Gateway requests answered, by endpoint and result.") }
    static var gatewayAttempts: MetricNameDescriptor { name("gateway", "attempts", "total", "Upstream attempts of gateway requests, by outcome (ok, caller_error, unsupported: a 400 saying the target lacks tools or structured output, or an error class).") }
    static var gatewayFailovers: MetricNameDescriptor { name("gateway", "failovers", "total", "Gateway attempts that moved on to another provider before the first byte.") }
    static var gatewayHedges: MetricNameDescriptor {
        name("gateway", "hedges", "total", "Hedged first attempts of gateway requests, by result (started, hedge_won, first_won, no_budget).")
    }
    static var gatewayClientSpend: MetricNameDescriptor {
        name("gateway", "client_spend_usd", "total", "USD spent by each configured client's answered gateway attempts (configured price and observed usage).")
    }
    static var gatewayClientRefused: MetricNameDescriptor {
        name("gateway", "client_refused", "total", "Gateway requests refused with 429 before any upstream attempt, by configured client and reason (rate, budget).")
    }
    static var gatewayInFlight: MetricNameDescriptor {
        name("gateway", "requests_in_flight", "", "Gateway requests being answered now (streams until their last byte), held against gateway.max_concurrent.")
    }
    static var gatewayUploadHeld: MetricNameDescriptor {
        name("gateway", "upload_held", "bytes", "Bytes of multipart uploads the gateway holds now, against gateway.upload_budget_bytes.")
    }
    static var discoveryRefreshes: MetricNameDescriptor { name("discovery", "refreshes", "total", "Catalog reads of each discovering provider, by result (success, failure).") }
    static var discoveryTargets: MetricNameDescriptor { name("discovery", "targets", "", "Targets discovered from each provider's last good catalog.") }
    static var discoveryCut: MetricNameDescriptor { name("discovery", "cut_targets", "", "Catalog entries left out of the last good catalog because discover.max_targets was reached.") }
    static var discoveryUnrouted: MetricNameDescriptor {
        name("discovery", "unrouted_targets", "", "Catalog entries of the last good catalog skipped because Switchyard does not route their task.")
    }
    static var discoveryStale: MetricNameDescriptor { name("discovery", "catalog_stale", "", "1 while the provider's catalog cannot be read and the last good one is in use.") }
    static var discoveryLastSuccess: MetricNameDescriptor { name("discovery", "last_success_timestamp", "seconds", "Unix time of the provider's last good catalog read.") }
    static var buildInfo: MetricNameDescriptor { name(nil, "build", "info", "Always 1; the version label says which build is running.") }

    /// Probe phases as histogram label values.
    enum Phase: String, CaseIterable {
        case dns, connect, tls
        case firstByte = "first_byte"
        case total
    }

    static let secondsBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .milliseconds(Int64($0 * 1000)) }
    static let tokensPerSecondBuckets: [Double] = [1, 5, 10, 25, 50, 100, 200, 400, 800, 1600]
}

/// A metric's full name and help text, built once. `MetricNameDescriptor.name` builds a new
/// string on every call and each series keeps the one it was made with, so the per-target
/// metrics (some 20,000 series at 1,000 targets) go through these and share one string each.
struct SharedMetricName: Sendable {
    let name: String
    let help: String

    init(_ descriptor: MetricNameDescriptor) {
        name = descriptor.name
        help = descriptor.helpText ?? ""
    }
}

extension PrometheusCollectorRegistry {
    func makeCounter(_ metric: SharedMetricName, labels: [(String, String)]) -> Counter {
        makeCounter(name: metric.name, labels: labels, help: metric.help)
    }

    func makeGauge(_ metric: SharedMetricName, labels: [(String, String)]) -> Gauge {
        makeGauge(name: metric.name, labels: labels, help: metric.help)
    }

    func makeDurationHistogram(_ metric: SharedMetricName, labels: [(String, String)], buckets: [Duration]) -> DurationHistogram {
        makeDurationHistogram(name: metric.name, labels: labels, buckets: buckets, help: metric.help)
    }

    func makeValueHistogram(_ metric: SharedMetricName, labels: [(String, String)], buckets: [Double]) -> ValueHistogram {
        makeValueHistogram(name: metric.name, labels: labels, buckets: buckets, help: metric.help)
    }
}
