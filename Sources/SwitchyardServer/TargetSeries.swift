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
    /// The task its info series is labelled with.
    let task: InferenceTask
    let histograms: ProbeHistograms
    let states: [TargetState: Gauge]
    let transitions: [TargetState: Counter]
    let scores: [RoutingStrategy: Gauge]
    let probeCost: Counter
    let reportCost: Counter
    let okResults: [ObservationSource: Counter]
    /// `switchyard_target_info{provider, model, kind, task} 1`: the task rides on one series per
    /// target rather than on every series (no new series, no label on the hot counters).
    let info: Gauge

    init(_ target: MetricsTarget, registry: PrometheusCollectorRegistry) {
        kind = target.kind
        task = target.task
        let labels = target.labels
        info = registry.makeGauge(MetricName.targetInfo, labels: labels + [("kind", target.kind), ("task", target.task.rawValue)])
        info.set(to: 1)
        histograms = ProbeHistograms(labels: labels + [("kind", target.kind)], registry: registry)
        var states: [TargetState: Gauge] = [:]
        var transitions: [TargetState: Counter] = [:]
        for state in TargetState.allCases {
            let gauge = registry.makeGauge(MetricName.targetState, labels: labels + [("state", state.rawValue)])
            gauge.set(to: state == .unknown ? 1 : 0)
            states[state] = gauge
            transitions[state] = registry.makeCounter(MetricName.transitions, labels: labels + [("to", state.rawValue)])
        }
        self.states = states
        self.transitions = transitions
        scores = Dictionary(uniqueKeysWithValues: RoutingStrategy.allCases.map { strategy in
            (strategy, registry.makeGauge(MetricName.routeScore, labels: labels + [("strategy", strategy.rawValue)]))
        })
        probeCost = registry.makeCounter(MetricName.cost, labels: labels + [("source", "probe")])
        reportCost = registry.makeCounter(MetricName.cost, labels: labels + [("source", "report")])
        okResults = [
            .probe: registry.makeCounter(MetricName.probeResults, labels: labels + [("outcome", "ok")]),
            .report: registry.makeCounter(MetricName.reportResults, labels: labels + [("outcome", "ok")]),
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
        registry.unregisterGauge(info)
    }
}

/// A configured target as the metrics label it: provider, model and probe kind.
public struct MetricsTarget: Hashable, Sendable {
    public var target: Target
    public var kind: String
    /// What the target does (labels `switchyard_target_info` only).
    public var task: InferenceTask

    public init(_ target: Target, kind: String, task: InferenceTask = .chat) {
        self.target = target
        self.kind = kind
        self.task = task
    }

    var labels: [(String, String)] { [("provider", target.provider.rawValue), ("model", target.model.rawValue)] }
}

/// One target's probe histograms (phases, TTFT, tokens/s), each created on its first observation.
final class ProbeHistograms: Sendable {
    private struct Made {
        /// By `MetricName.Phase.allCases` order.
        var phases = [DurationHistogram?](repeating: nil, count: MetricName.Phase.allCases.count)
        var ttft: DurationHistogram?
        var tokensPerSecond: ValueHistogram?
        /// Set by `unregister`: a probe that read this series before a reload removed its
        /// target records nothing, instead of registering histograms nobody removes.
        var retired = false
    }

    private let labels: [(String, String)]
    private let registry: PrometheusCollectorRegistry
    private let made = Mutex(Made())

    init(labels: [(String, String)], registry: PrometheusCollectorRegistry) {
        self.labels = labels
        self.registry = registry
    }

    /// Records a probe's phases, in seconds from its start: the total always, the others when
    /// they happened (a reused connection has no dns, connect or tls phase).
    func record(_ timings: PhaseTimings) {
        made.withLock { made in
            guard !made.retired else { return }
            for (index, phase) in MetricName.Phase.allCases.enumerated() {
                let seconds = timings[phase]
                guard seconds > 0 || phase == .total else { continue }
                Self.made(&made.phases[index]) {
                    registry.makeDurationHistogram(MetricName.probeDuration, labels: labels + [("phase", phase.rawValue)], buckets: MetricName.secondsBuckets)
                }.record(.nanoseconds(Int64(seconds * 1e9)))
            }
        }
    }

    func recordTTFT(seconds: Double) {
        made.withLock { made in
            guard !made.retired else { return }
            Self.made(&made.ttft) {
                registry.makeDurationHistogram(MetricName.probeTTFT, labels: labels, buckets: MetricName.secondsBuckets)
            }.record(.nanoseconds(Int64(seconds * 1e9)))
        }
    }

    func recordTokensPerSecond(_ value: Double) {
        made.withLock { made in
            guard !made.retired else { return }
            Self.made(&made.tokensPerSecond) {
                registry.makeValueHistogram(MetricName.probeTokensPerSecond, labels: labels, buckets: MetricName.tokensPerSecondBuckets)
            }.record(value)
        }
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        made.withLock { made in
            made.phases.forEach { $0.map(registry.unregisterDurationHistogram) }
            made.ttft.map(registry.unregisterDurationHistogram)
            made.tokensPerSecond.map(registry.unregisterValueHistogram)
            made = Made(retired: true)
        }
    }

    /// The series in `slot`, made (and kept there) on first use.
    private static func made<Series>(_ slot: inout Series?, _ make: () -> Series) -> Series {
        if let series = slot { return series }
        let series = make()
        slot = series
        return series
    }
}

extension PhaseTimings {
    /// Seconds from the start of the probe to the end of `phase`.
    fileprivate subscript(phase: MetricName.Phase) -> Double {
        switch phase {
        case .dns: dns
        case .connect: connect
        case .tls: tls
        case .firstByte: firstByte
        case .total: total
        }
    }
}
