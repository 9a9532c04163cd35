/// The resolution of a history answer: minute or hour rollups.
public enum HistoryStep: String, CaseIterable, Hashable, Sendable {
    case minute = "1m"
    case hour = "1h"

    /// The length of one bucket.
    public var seconds: Double { self == .minute ? 60 : 3600 }
}

/// What `GET /v1/history` asks for: one target, a provider's or a model's targets, or all.
public struct HistoryQuery: Hashable, Sendable {
    /// Only this provider's targets, when set.
    public var provider: ProviderID?
    /// Only this model's targets, when set.
    public var model: ModelName?
    /// Inclusive start and exclusive end of the time range.
    public var since: Timestamp
    public var until: Timestamp
    /// Minute or hour rollups.
    public var step: HistoryStep

    public init(provider: ProviderID? = nil, model: ModelName? = nil, since: Timestamp, until: Timestamp, step: HistoryStep) {
        self.provider = provider
        self.model = model
        self.since = since
        self.until = until
        self.step = step
    }
}

/// The rollup of one target over one minute or hour, probes and reports together.
public struct HistoryBucket: Hashable, Sendable {
    public var target: Target
    /// The first instant of the minute or hour.
    public var start: Timestamp
    /// Observations in the bucket, of which `reports` came from clients.
    public var count: Int
    public var reports: Int
    /// Failures by error class; successes are `count` minus their sum.
    public var failures: [ErrorClass: Int]
    /// Total and time-to-first-token durations of successful requests.
    public var latency: LatencyHistogram
    public var ttft: LatencyHistogram
    public var tokensIn: Int
    public var tokensOut: Int
    public var costUSD: Double

    public init(target: Target, start: Timestamp, count: Int = 0, reports: Int = 0, failures: [ErrorClass: Int] = [:],
                latency: LatencyHistogram = LatencyHistogram(), ttft: LatencyHistogram = LatencyHistogram(),
                tokensIn: Int = 0, tokensOut: Int = 0, costUSD: Double = 0) {
        self.target = target
        self.start = start
        self.count = count
        self.reports = reports
        self.failures = failures
        self.latency = latency
        self.ttft = ttft
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.costUSD = costUSD
    }

    /// Successful observations.
    public var successes: Int { count - failures.values.reduce(0, +) }
}

/// Reads stored history; declared here so the API can serve it without knowing SQLite.
public protocol HistoryReading: Sendable {
    /// Rollup buckets matching the query, ordered by target then time.
    func history(_ query: HistoryQuery) throws -> [HistoryBucket]
    /// The most recent state transitions at or after `since`, newest first, at most `limit`.
    func events(since: Timestamp?, limit: Int) throws -> [Transition]
    /// The most recent daemon-wide events (reloads) at or after `since`, newest first, at most `limit`.
    func daemonEvents(since: Timestamp?, limit: Int) throws -> [DaemonEvent]
}
