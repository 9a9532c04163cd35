import Prometheus
import Synchronization
import SwitchyardCore

/// Every metric the daemon exports, created through one registry with help text.
/// Series exist only for configured targets and fixed enums, never for request input,
/// so cardinality is bounded by the configuration; a reload adds and removes series
/// with the targets.
public final class SwitchyardMetrics: ObservationSink, Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// The build's version (the `switchyard_build_info` label; also shown on the status page).
    public let version: String
    private let series: Mutex<[Target: TargetSeries]>
    /// Error-class result counters, created the first time a class happens to a configured
    /// target, so 1,000 targets cost a few series each instead of the whole taxonomy twice.
    private let errorResults = Mutex<[ResultKey: Counter]>([:])
    private let budgets: Mutex<[ProviderID: BudgetGauges]>
    private let routeQueries: [RoutingStrategy: [RouteQueryResult: Counter]]
    private let rejectedReports: [ReportRejection: Counter]
    private let store: StoreSeries
    private let reloads: ReloadSeries
    private let process: ProcessMetrics
    private let sources = Mutex(MetricsSources())
    private let lastExpositionBytes = Atomic<Int>(0)
    private let refusedConnections: Counter
    /// Per discovering provider (configured names only): refreshes, targets, cuts, staleness.
    let discovery = Mutex<[ProviderID: DiscoverySeries]>([:])
    /// The fleet's series, made at the first scrape that finds a fleet.
    private let fleetSeries = Mutex<FleetSeries?>(nil)

    /// Outcome of one route query, as a metric label.
    public enum RouteQueryResult: String, CaseIterable, Sendable {
        case ok, panic
        case unknownModel = "unknown_model"
    }

    /// - Parameter configLoadedAt: when the running configuration was loaded (start-up).
    public init(targets: [MetricsTarget], budgetProviders: [ProviderID] = [], version: String, configLoadedAt: Timestamp? = nil) {
        self.version = version
        let registry = self.registry
        series = Mutex(Dictionary(targets.map { ($0.target, TargetSeries($0, registry: registry)) }, uniquingKeysWith: { first, _ in first }))
        budgets = Mutex(Dictionary(Set(budgetProviders).map { ($0, BudgetGauges($0, registry: registry)) }, uniquingKeysWith: { first, _ in first }))
        var routeQueries: [RoutingStrategy: [RouteQueryResult: Counter]] = [:]
        for strategy in RoutingStrategy.allCases {
            for result in RouteQueryResult.allCases {
                routeQueries[strategy, default: [:]][result] = registry.makeCounter(
                    descriptor: MetricName.routeQueries, labels: [("strategy", strategy.rawValue), ("result", result.rawValue)])
            }
        }
        self.routeQueries = routeQueries
        rejectedReports = Dictionary(uniqueKeysWithValues: ReportRejection.allCases.map { reason in
            (reason, registry.makeCounter(descriptor: MetricName.rejectedReports, labels: [("reason", reason.rawValue)]))
        })
        store = StoreSeries(registry: registry)
        reloads = ReloadSeries(registry: registry, loadedAt: configLoadedAt)
        process = ProcessMetrics(registry: registry)
        refusedConnections = registry.makeCounter(descriptor: MetricName.refusedConnections)
        registry.makeGauge(descriptor: MetricName.buildInfo, labels: [("version", version)]).set(to: 1)
    }

    /// Counts a TCP connection refused by `listen.max_connections_per_peer`.
    public func connectionRefusedForPeer() { refusedConnections.increment() }

    /// Where scrape-time values come from (budgets, the writer, routing scores); set once by the wiring.
    public func read(from sources: MetricsSources) {
        self.sources.withLock { $0 = sources }
    }

    /// Adopts a reloaded configuration: new targets and budgets get their series, removed ones lose them.
    public func reconfigure(targets: [MetricsTarget], budgetProviders: [ProviderID]) {
        let wanted = Set(targets.map(\.target))
        series.withLock { series in
            for (target, old) in series where !wanted.contains(target) {
                old.unregister(from: registry)
                series[target] = nil
            }
            for target in targets where series[target.target]?.kind != target.kind || series[target.target]?.task != target.task {
                series[target.target]?.unregister(from: registry)  // the provider's kind or the target's task changed: new labels
                series[target.target] = TargetSeries(target, registry: registry)
            }
        }
        errorResults.withLock { results in
            for (key, counter) in results where !wanted.contains(key.target) {
                registry.unregisterCounter(counter)
                results[key] = nil
            }
        }
        let providers = Set(budgetProviders)
        budgets.withLock { budgets in
            for (provider, gauges) in budgets where !providers.contains(provider) {
                gauges.unregister(from: registry)
                budgets[provider] = nil
            }
            for provider in providers where budgets[provider] == nil { budgets[provider] = BudgetGauges(provider, registry: registry) }
        }
    }

    public func record(_ observation: Observation) {
        guard let target = series.withLock({ $0[observation.target] }) else { return }
        let source = observation.source
        if observation.outcome.isSuccess {
            target.okResults[source]?.increment()
        } else {
            errorCounter(source, observation.target, observation.outcome.label)?.increment()
        }
        if let cost = observation.costUSD, cost > 0 { (source == .probe ? target.probeCost : target.reportCost).increment(by: cost) }
        // A probe's phases (seconds from its start), TTFT and throughput.
        if let phases = observation.phases {
            target.histograms.record(phases)
            if let ttft = observation.ttftSeconds { target.histograms.recordTTFT(seconds: ttft) }
            if let tokensPerSecond = observation.tokensPerSecond { target.histograms.recordTokensPerSecond(tokensPerSecond) }
        }
    }

    public func record(_ transition: Transition) {
        guard let series = series.withLock({ $0[transition.target] }) else { return }
        series.show(transition.to)
        series.transitions[transition.to]?.increment()
    }

    public func record(_ event: DaemonEvent) {
        reloads.record(event)
        if event.kind == .databaseRecovered { store.recovered.increment() }
    }

    /// Counts one refused report item.
    public func recordRejectedReport(_ reason: ReportRejection) {
        rejectedReports[reason]?.increment()
    }

    /// Counts one answered route query.
    public func recordRouteQuery(strategy: RoutingStrategy, result: RouteQueryResult) {
        routeQueries[strategy]?[result]?.increment()
    }

    /// The text exposition format, after reading the scrape-time values; `budgets` are the
    /// probe budgets as the scheduler answered them for this scrape (its own thread's answer).
    public func exposition(budgets: [ProbeBudgetStatus] = []) -> [UInt8] {
        refresh(budgets: budgets)
        var buffer: [UInt8] = []
        // Sized from the last scrape (megabytes at 1,000 targets), so the text is not copied
        // through a dozen doublings on its way there.
        buffer.reserveCapacity(max(64 * 1024, lastExpositionBytes.load(ordering: .relaxed) * 11 / 10))
        registry.emit(into: &buffer)
        lastExpositionBytes.store(buffer.count, ordering: .relaxed)
        return buffer
    }

    private func refresh(budgets statuses: [ProbeBudgetStatus]) {
        let sources = self.sources.withLock { $0 }
        let budgetGauges = budgets.withLock { $0 }
        for status in statuses { budgetGauges[status.provider]?.show(status) }
        if let health = sources.store() { store.show(health) }
        if let status = sources.fleet() {
            let made = fleetSeries.withLock { series in
                if let series { return series }
                series = FleetSeries(registry: registry)
                return series!
            }
            made.show(status)
        }
        // A target the ranker leaves out (ejected, draining, rate limited) scores 0, not its last value.
        let scores = Dictionary(sources.scores().map { (ScoreKey(target: $0.target, strategy: $0.strategy), $0.score) },
                                uniquingKeysWith: { first, _ in first })
        for (target, targetSeries) in series.withLock({ $0 }) {
            for (strategy, gauge) in targetSeries.scores { gauge.set(to: scores[ScoreKey(target: target, strategy: strategy)] ?? 0) }
        }
        process.refresh()
    }

    private struct ScoreKey: Hashable {
        var target: Target
        var strategy: RoutingStrategy
    }

    private struct ResultKey: Hashable {
        var source: ObservationSource
        var target: Target
        var outcome: String
    }

    private func errorCounter(_ source: ObservationSource, _ target: Target, _ outcome: String) -> Counter? {
        let key = ResultKey(source: source, target: target, outcome: outcome)
        return errorResults.withLock { results in
            if let counter = results[key] { return counter }
            // Checked again under this lock: a reload that just removed the target must not get a series back.
            guard series.withLock({ $0[target] != nil }) else { return nil }
            let counter = registry.makeCounter(source == .probe ? MetricName.probeResults : MetricName.reportResults, labels: [
                ("provider", target.provider.rawValue), ("model", target.model.rawValue), ("outcome", outcome),
            ])
            results[key] = counter
            return counter
        }
    }
}

/// Scrape-time readings the wiring provides as closures, so this module needs neither the
/// store nor the health book (the probe budgets come with each scrape: `exposition(budgets:)`).
public struct MetricsSources: Sendable {
    public var store: @Sendable () -> StoreHealth?
    public var scores: @Sendable () -> [TargetScore]
    /// The fleet's status (`fleet:`); nil without it, and then no fleet series exist.
    public var fleet: @Sendable () -> FleetStatus? = { nil }

    public init(store: @escaping @Sendable () -> StoreHealth? = { nil },
                scores: @escaping @Sendable () -> [TargetScore] = { [] }) {
        self.store = store
        self.scores = scores
    }
}

/// The SQLite writer's condition, as the metrics show it.
public struct StoreHealth: Sendable {
    public var queueDepth: Int
    public var droppedRecords: Int
    public var writeErrors: Int
    public var databaseBytes: Int64
    public var writing: Bool

    public init(queueDepth: Int, droppedRecords: Int, writeErrors: Int, databaseBytes: Int64, writing: Bool) {
        self.queueDepth = queueDepth
        self.droppedRecords = droppedRecords
        self.writeErrors = writeErrors
        self.databaseBytes = databaseBytes
        self.writing = writing
    }
}
