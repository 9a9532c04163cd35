import Prometheus
import Synchronization
import SwitchyardCore

/// Every metric the daemon exports, created through one registry with help text.
/// Series exist only for configured targets and fixed enums, never for request input,
/// so cardinality is bounded by the configuration.
public final class SwitchyardMetrics: ObservationSink, Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// The build's version (the `switchyard_build_info` label; also shown on the status page).
    public let version: String
    /// Result counters by source, target and outcome. `ok` exists from the start; an error
    /// class's series is created the first time it happens (to configured targets only), so
    /// 1,000 targets cost ~10 series each instead of ~40: the taxonomy times two is most of
    /// the daemon's memory otherwise.
    private let results: Mutex<[ResultKey: Counter]>
    private let configured: Set<Target>
    private let probeDuration: [Target: DurationHistogram]
    private let stateGauges: [Target: [TargetState: Gauge]]
    private let transitions: [Target: [TargetState: Counter]]
    private let routeQueries: [RoutingStrategy: [RouteQueryResult: Counter]]
    private let costUSD: [Target: Counter]
    private let reportCostUSD: [Target: Counter]
    private let rejectedReports: [ReportRejection: Counter]

    /// Outcome of one route query, as a metric label.
    public enum RouteQueryResult: String, CaseIterable, Sendable {
        case ok, panic
        case unknownModel = "unknown_model"
    }

    /// Budget gauges per provider, created for the providers that have a budget.
    private let budgetRemaining: [ProviderID: Gauge]
    private let budgetExhausted: [ProviderID: Gauge]

    public init(targets: [Target], budgetProviders: [ProviderID] = [], version: String) {
        self.version = version
        let registry = self.registry
        func name(_ subsystem: String?, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "switchyard", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
        }
        func labels(_ target: Target) -> [(String, String)] {
            [("provider", target.provider.rawValue), ("model", target.model.rawValue)]
        }
        let probeTotal = name("probe", "results", "total", "Probes finished, by target and outcome (ok or error class).")
        let reportTotal = name("report", "results", "total", "Client reports accepted, by target and outcome.")
        let duration = name("probe", "duration", "seconds", "Total time of a probe, from start to the last byte or the failure.")
        let state = name("target", "state", "", "1 for the state each target is in now, 0 for the others.")
        let transition = name("target", "transitions", "total", "State transitions, by target and the state entered.")
        let route = name("route", "queries", "total", "Route queries answered, by strategy and result.")
        let cost = name(nil, "cost_usd", "total", "USD spent, by target and source (probe: our probes; report: clients' real requests), from the configured price and observed usage.")
        let buckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .milliseconds(Int64($0 * 1000)) }

        var results: [ResultKey: Counter] = [:]
        var probeDuration: [Target: DurationHistogram] = [:]
        var stateGauges: [Target: [TargetState: Gauge]] = [:]
        var transitions: [Target: [TargetState: Counter]] = [:]
        var costUSD: [Target: Counter] = [:]
        var reportCostUSD: [Target: Counter] = [:]
        for target in targets {
            for source in ObservationSource.allCases {
                let key = ResultKey(source: source, target: target, outcome: "ok")
                results[key] = registry.makeCounter(descriptor: source == .probe ? probeTotal : reportTotal, labels: labels(target) + [("outcome", "ok")])
            }
            probeDuration[target] = registry.makeDurationHistogram(descriptor: duration, labels: labels(target), buckets: buckets)
            for s in TargetState.allCases {
                let gauge = registry.makeGauge(descriptor: state, labels: labels(target) + [("state", s.rawValue)])
                gauge.set(to: s == .unknown ? 1.0 : 0.0)
                stateGauges[target, default: [:]][s] = gauge
                transitions[target, default: [:]][s] = registry.makeCounter(descriptor: transition, labels: labels(target) + [("to", s.rawValue)])
            }
            costUSD[target] = registry.makeCounter(descriptor: cost, labels: labels(target) + [("source", "probe")])
            reportCostUSD[target] = registry.makeCounter(descriptor: cost, labels: labels(target) + [("source", "report")])
        }
        var routeQueries: [RoutingStrategy: [RouteQueryResult: Counter]] = [:]
        for strategy in RoutingStrategy.allCases {
            for result in RouteQueryResult.allCases {
                routeQueries[strategy, default: [:]][result] = registry.makeCounter(descriptor: route, labels: [("strategy", strategy.rawValue), ("result", result.rawValue)])
            }
        }
        let rejected = name("report", "rejected", "total", "Client report items refused, by reason.")
        var rejectedReports: [ReportRejection: Counter] = [:]
        for reason in ReportRejection.allCases {
            rejectedReports[reason] = registry.makeCounter(descriptor: rejected, labels: [("reason", reason.rawValue)])
        }
        let remaining = name("probe", "budget_remaining_usd", "", "USD left of today's probe budget (UTC day), per provider with a budget.")
        let exhausted = name("probe", "budget_exhausted", "", "1 while today's probe budget is spent and completion probes are paused.")
        var budgetRemaining: [ProviderID: Gauge] = [:]
        var budgetExhausted: [ProviderID: Gauge] = [:]
        for provider in Set(budgetProviders) {
            budgetRemaining[provider] = registry.makeGauge(descriptor: remaining, labels: [("provider", provider.rawValue)])
            budgetExhausted[provider] = registry.makeGauge(descriptor: exhausted, labels: [("provider", provider.rawValue)])
        }
        self.budgetRemaining = budgetRemaining
        self.budgetExhausted = budgetExhausted
        registry.makeGauge(descriptor: name(nil, "build", "info", "Always 1; the version label says which build is running."), labels: [("version", version)]).set(to: 1.0)

        self.results = Mutex(results)
        self.configured = Set(targets)
        self.probeDuration = probeDuration
        self.stateGauges = stateGauges
        self.transitions = transitions
        self.routeQueries = routeQueries
        self.costUSD = costUSD
        self.reportCostUSD = reportCostUSD
        self.rejectedReports = rejectedReports
    }

    public func record(_ observation: Observation) {
        let target = observation.target
        switch observation.source {
        case .probe:
            resultCounter(.probe, target, observation.outcome.label)?.increment()
            probeDuration[target]?.record(.milliseconds(Int64(observation.totalSeconds * 1000)))
            if let cost = observation.costUSD, cost > 0 { costUSD[target]?.increment(by: cost) }
        case .report:
            resultCounter(.report, target, observation.outcome.label)?.increment()
            if let cost = observation.costUSD, cost > 0 { reportCostUSD[target]?.increment(by: cost) }
        }
    }

    public func record(_ transition: Transition) {
        guard let gauges = stateGauges[transition.target] else { return }
        for (state, gauge) in gauges { gauge.set(to: state == transition.to ? 1.0 : 0.0) }
        transitions[transition.target]?[transition.to]?.increment()
    }

    /// Sets the budget gauges from the scheduler's current view (called before each scrape).
    public func recordBudgets(_ statuses: [ProbeBudgetStatus]) {
        for status in statuses {
            if let remaining = status.remainingUSD { budgetRemaining[status.provider]?.set(to: remaining) }
            budgetExhausted[status.provider]?.set(to: status.completionProbesPaused ? 1.0 : 0.0)
        }
    }

    /// Counts one refused report item.
    public func recordRejectedReport(_ reason: ReportRejection) {
        rejectedReports[reason]?.increment()
    }

    private struct ResultKey: Hashable {
        var source: ObservationSource
        var target: Target
        var outcome: String
    }

    /// The counter of one outcome, created on first use; nil for targets not in the configuration.
    private func resultCounter(_ source: ObservationSource, _ target: Target, _ outcome: String) -> Counter? {
        guard configured.contains(target) else { return nil }
        let key = ResultKey(source: source, target: target, outcome: outcome)
        return results.withLock { results in
            if let counter = results[key] { return counter }
            let descriptor = source == .probe
                ? MetricNameDescriptor(namespace: "switchyard", subsystem: "probe", metricName: "results", unitName: "total",
                                       helpText: "Probes finished, by target and outcome (ok or error class).")
                : MetricNameDescriptor(namespace: "switchyard", subsystem: "report", metricName: "results", unitName: "total",
                                       helpText: "Client reports accepted, by target and outcome.")
            let counter = registry.makeCounter(descriptor: descriptor, labels: [
                ("provider", target.provider.rawValue), ("model", target.model.rawValue), ("outcome", outcome),
            ])
            results[key] = counter
            return counter
        }
    }

    /// Counts one answered route query.
    public func recordRouteQuery(strategy: RoutingStrategy, result: RouteQueryResult) {
        routeQueries[strategy]?[result]?.increment()
    }

    /// The text exposition format.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
