import SwitchyardCore
import SwitchyardWire

// `/v1/history` and `/v1/events` values as the generated wire types (SwitchyardWire).

extension Wire.Point {
    /// One minute or hour of one target.
    init(_ bucket: HistoryBucket) {
        self.init(costUSD: bucket.costUSD, count: bucket.count,
                  failures: Dictionary(uniqueKeysWithValues: bucket.failures.map { ($0.key.rawValue, $0.value) }),
                  latencyMs: Wire.Percentiles(bucket.latency), ok: bucket.successes, reports: bucket.reports, start: bucket.start.rfc3339,
                  successRate: bucket.count > 0 ? Double(bucket.successes) / Double(bucket.count) : nil,
                  tokensIn: bucket.tokensIn, tokensOut: bucket.tokensOut, ttftMs: Wire.Percentiles(bucket.ttft))
    }
}

extension Wire.Percentiles {
    /// Percentiles from a merged bucket histogram (bucket midpoints, about ±9 %); nil when it is empty.
    init?(_ histogram: LatencyHistogram) {
        guard let p50 = histogram.quantile(0.5), let p90 = histogram.quantile(0.9), let p99 = histogram.quantile(0.99) else { return nil }
        self.init(p50: (p50 * 100).rounded() / 100, p90: (p90 * 100).rounded() / 100, p99: (p99 * 100).rounded() / 100)
    }
}

extension Wire.Event {
    /// One entry of the events log: a target's state transition (`kind: transition`) or a
    /// daemon-wide event such as a configuration reload (`kind: reload`, `reload_failed`).
    init(_ event: LoggedEvent) {
        switch event {
        case .transition(let transition):
            self.init(at: event.at.rfc3339, from: Wire.TargetState(transition.from), kind: "transition",
                      model: transition.target.model.rawValue, provider: transition.target.provider.rawValue,
                      reason: transition.reason, to: Wire.TargetState(transition.to))
        case .daemon(let daemonEvent):
            self.init(at: event.at.rfc3339, caller: daemonEvent.caller, kind: daemonEvent.kind.rawValue, reason: daemonEvent.message)
        }
    }
}
