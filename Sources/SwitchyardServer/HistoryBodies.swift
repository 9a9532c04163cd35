import SwitchyardCore

/// `GET /v1/history` answer: one series of buckets per target.
struct HistoryBody: Encodable {
    var since: String
    var until: String
    var step: String
    var series: [SeriesBody]

    init(since: Timestamp, until: Timestamp, step: HistoryStep, buckets: [HistoryBucket]) {
        self.since = since.rfc3339
        self.until = until.rfc3339
        self.step = step.rawValue
        var series: [SeriesBody] = []
        for bucket in buckets {
            if series.last?.provider != bucket.target.provider || series.last?.model != bucket.target.model {
                series.append(SeriesBody(provider: bucket.target.provider, model: bucket.target.model, points: []))
            }
            series[series.count - 1].points.append(PointBody(bucket))
        }
        self.series = series
    }
}

/// The buckets of one target.
struct SeriesBody: Encodable {
    var provider: ProviderID
    var model: ModelName
    var points: [PointBody]
}

/// One minute or hour of one target.
struct PointBody: Encodable {
    var start: String
    var count: Int
    var reports: Int
    var ok: Int
    var successRate: Double?
    var failures: [String: Int]
    var latencyMs: Percentiles?
    var ttftMs: Percentiles?
    var tokensIn: Int
    var tokensOut: Int
    var costUSD: Double

    init(_ bucket: HistoryBucket) {
        start = bucket.start.rfc3339
        count = bucket.count
        reports = bucket.reports
        ok = bucket.successes
        successRate = bucket.count > 0 ? Double(bucket.successes) / Double(bucket.count) : nil
        failures = Dictionary(uniqueKeysWithValues: bucket.failures.map { ($0.key.rawValue, $0.value) })
        latencyMs = Percentiles(bucket.latency)
        ttftMs = Percentiles(bucket.ttft)
        tokensIn = bucket.tokensIn
        tokensOut = bucket.tokensOut
        costUSD = bucket.costUSD
    }

    enum CodingKeys: String, CodingKey {
        case start, count, reports, ok, failures
        case successRate = "success_rate"
        case latencyMs = "latency_ms"
        case ttftMs = "ttft_ms"
        case tokensIn = "tokens_in"
        case tokensOut = "tokens_out"
        case costUSD = "cost_usd"
    }
}

/// Percentiles from a merged bucket histogram (bucket midpoints, about ±9 %).
struct Percentiles: Encodable {
    var p50: Double
    var p90: Double
    var p99: Double

    init?(_ histogram: LatencyHistogram) {
        guard let p50 = histogram.quantile(0.5), let p90 = histogram.quantile(0.9), let p99 = histogram.quantile(0.99) else { return nil }
        self.p50 = (p50 * 100).rounded() / 100
        self.p90 = (p90 * 100).rounded() / 100
        self.p99 = (p99 * 100).rounded() / 100
    }
}

/// `GET /v1/events` answer.
struct EventsBody: Encodable {
    var events: [EventBody]
}

/// One entry of the events log: a target's state transition (`kind: transition`) or a
/// daemon-wide event such as a configuration reload (`kind: reload`, `reload_failed`).
struct EventBody: Encodable {
    var kind: String
    var at: String
    var provider: ProviderID?
    var model: ModelName?
    var from: TargetState?
    var to: TargetState?
    /// Who caused a daemon event: `uid:N`, `token` or `signal`.
    var caller: String?
    var reason: String

    init(_ event: LoggedEvent) {
        at = event.at.rfc3339
        switch event {
        case .transition(let transition):
            kind = "transition"
            provider = transition.target.provider
            model = transition.target.model
            from = transition.from
            to = transition.to
            reason = transition.reason
        case .daemon(let daemonEvent):
            kind = daemonEvent.kind.rawValue
            caller = daemonEvent.caller
            reason = daemonEvent.message
        }
    }
}
