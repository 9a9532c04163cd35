import Prometheus
import Synchronization
import SwitchyardCore

/// Every series of one configured target, removed together when a reload drops the target.
/// The histograms appear with their first observation: a liveness target never has TTFT or
/// tokens/s, and a reused connection has no dns/connect/tls phase, so at 1,000 targets most of
/// those series (15 each) would be zeros that cost memory here and in Prometheus.
/// Error-class result counters are created on first use too (see `SwitchyardMetrics`).
struct TargetSeries: Sendable {
    /// The probe kind its histograms are labelled with.
    let kind: String
    let histograms: ProbeHistograms
    let states: [TargetState: Gauge]
    let transitions: [TargetState: Counter]
    let scores: [RoutingStrategy: Gauge]
    let probeCost: Counter
    let reportCost: Counter
    let okResults: [ObservationSource: Counter]

    init(_ target: MetricsTarget, registry: PrometheusCollectorRegistry) {
        kind = target.kind
        let labels = target.labels
        histograms = ProbeHistograms(labels: labels + [("kind", target.kind)], registry: registry)
        var states: [TargetState: Gauge] = [:]
        var transitions: [TargetState: Counter] = [:]
        for state in TargetState.allCases {
            let gauge = registry.makeGauge(SharedMetricName.targetState, labels: labels + [("state", state.rawValue)])
            gauge.set(to: state == .unknown ? 1 : 0)
            states[state] = gauge
            transitions[state] = registry.makeCounter(SharedMetricName.transitions, labels: labels + [("to", state.rawValue)])
        }
        self.states = states
        self.transitions = transitions
        scores = Dictionary(uniqueKeysWithValues: RoutingStrategy.allCases.map { strategy in
            (strategy, registry.makeGauge(SharedMetricName.routeScore, labels: labels + [("strategy", strategy.rawValue)]))
        })
        probeCost = registry.makeCounter(SharedMetricName.cost, labels: labels + [("source", "probe")])
        reportCost = registry.makeCounter(SharedMetricName.cost, labels: labels + [("source", "report")])
        okResults = [
            .probe: registry.makeCounter(SharedMetricName.probeResults, labels: labels + [("outcome", "ok")]),
            .report: registry.makeCounter(SharedMetricName.reportResults, labels: labels + [("outcome", "ok")]),
        ]
    }

    /// Sets the state gauges: 1 for `state`, 0 for the others.
    func show(_ state: TargetState) {
        for (candidate, gauge) in states { gauge.set(to: candidate == state ? 1 : 0) }
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        histograms.unregister(from: registry)
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

/// One target's probe histograms (phases, TTFT, tokens/s), each created on its first observation.
final class ProbeHistograms: Sendable {
    private struct Made {
        var phases: [MetricName.Phase: DurationHistogram] = [:]
        var ttft: DurationHistogram?
        var tokensPerSecond: ValueHistogram?
    }

    private let labels: [(String, String)]
    private let registry: PrometheusCollectorRegistry
    private let made = Mutex(Made())

    init(labels: [(String, String)], registry: PrometheusCollectorRegistry) {
        self.labels = labels
        self.registry = registry
    }

    func record(_ phase: MetricName.Phase, seconds: Double) {
        let histogram = made.withLock { made in
            if let existing = made.phases[phase] { return existing }
            let new = registry.makeDurationHistogram(SharedMetricName.probeDuration, labels: labels + [("phase", phase.rawValue)],
                                                     buckets: MetricName.secondsBuckets)
            made.phases[phase] = new
            return new
        }
        histogram.record(.nanoseconds(Int64(seconds * 1e9)))
    }

    func recordTTFT(seconds: Double) {
        let histogram = made.withLock { made in
            if let existing = made.ttft { return existing }
            let new = registry.makeDurationHistogram(SharedMetricName.probeTTFT, labels: labels, buckets: MetricName.secondsBuckets)
            made.ttft = new
            return new
        }
        histogram.record(.nanoseconds(Int64(seconds * 1e9)))
    }

    func recordTokensPerSecond(_ value: Double) {
        let histogram = made.withLock { made in
            if let existing = made.tokensPerSecond { return existing }
            let new = registry.makeValueHistogram(SharedMetricName.probeTokensPerSecond, labels: labels,
                                                  buckets: MetricName.tokensPerSecondBuckets)
            made.tokensPerSecond = new
            return new
        }
        histogram.record(value)
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        made.withLock { made in
            made.phases.values.forEach(registry.unregisterDurationHistogram)
            made.ttft.map(registry.unregisterDurationHistogram)
            made.tokensPerSecond.map(registry.unregisterValueHistogram)
            made = Made()
        }
    }
}
