import Prometheus
import SwitchyardCore

/// Every series of one configured target, created together and removed together when a
/// reload drops the target. Error-class result counters are created on first use (see
/// `SwitchyardMetrics`), so they live there.
struct TargetSeries: Sendable {
    /// The probe kind its histograms are labelled with.
    let kind: String
    let phases: [MetricName.Phase: DurationHistogram]
    let ttft: DurationHistogram
    let tokensPerSecond: ValueHistogram
    let states: [TargetState: Gauge]
    let transitions: [TargetState: Counter]
    let scores: [RoutingStrategy: Gauge]
    let probeCost: Counter
    let reportCost: Counter
    let okResults: [ObservationSource: Counter]

    init(_ target: MetricsTarget, registry: PrometheusCollectorRegistry) {
        kind = target.kind
        let labels = target.labels
        let kinded = labels + [("kind", target.kind)]
        phases = Dictionary(uniqueKeysWithValues: MetricName.Phase.allCases.map { phase in
            (phase, registry.makeDurationHistogram(descriptor: MetricName.probeDuration, labels: kinded + [("phase", phase.rawValue)],
                                                   buckets: MetricName.secondsBuckets))
        })
        ttft = registry.makeDurationHistogram(descriptor: MetricName.probeTTFT, labels: kinded, buckets: MetricName.secondsBuckets)
        tokensPerSecond = registry.makeValueHistogram(descriptor: MetricName.probeTokensPerSecond, labels: kinded,
                                                      buckets: MetricName.tokensPerSecondBuckets)
        var states: [TargetState: Gauge] = [:]
        var transitions: [TargetState: Counter] = [:]
        for state in TargetState.allCases {
            let gauge = registry.makeGauge(descriptor: MetricName.targetState, labels: labels + [("state", state.rawValue)])
            gauge.set(to: state == .unknown ? 1 : 0)
            states[state] = gauge
            transitions[state] = registry.makeCounter(descriptor: MetricName.transitions, labels: labels + [("to", state.rawValue)])
        }
        self.states = states
        self.transitions = transitions
        scores = Dictionary(uniqueKeysWithValues: RoutingStrategy.allCases.map { strategy in
            (strategy, registry.makeGauge(descriptor: MetricName.routeScore, labels: labels + [("strategy", strategy.rawValue)]))
        })
        probeCost = registry.makeCounter(descriptor: MetricName.cost, labels: labels + [("source", "probe")])
        reportCost = registry.makeCounter(descriptor: MetricName.cost, labels: labels + [("source", "report")])
        okResults = [
            .probe: registry.makeCounter(descriptor: MetricName.probeResults, labels: labels + [("outcome", "ok")]),
            .report: registry.makeCounter(descriptor: MetricName.reportResults, labels: labels + [("outcome", "ok")]),
        ]
    }

    /// Sets the state gauges: 1 for `state`, 0 for the others.
    func show(_ state: TargetState) {
        for (candidate, gauge) in states { gauge.set(to: candidate == state ? 1 : 0) }
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        phases.values.forEach(registry.unregisterDurationHistogram)
        registry.unregisterDurationHistogram(ttft)
        registry.unregisterValueHistogram(tokensPerSecond)
        states.values.forEach(registry.unregisterGauge)
        transitions.values.forEach(registry.unregisterCounter)
        scores.values.forEach(registry.unregisterGauge)
        [probeCost, reportCost].forEach(registry.unregisterCounter)
        okResults.values.forEach(registry.unregisterCounter)
    }
}

/// A configured target as the metrics label it: provider, model and probe kind.
public struct MetricsTarget: Hashable, Sendable {
    public var target: Target
    public var kind: String

    public init(_ target: Target, kind: String) {
        self.target = target
        self.kind = kind
    }

    var labels: [(String, String)] { [("provider", target.provider.rawValue), ("model", target.model.rawValue)] }
}
