/// Where an observation came from. Real traffic (client reports) weighs more than probes.
public enum ObservationSource: String, Sendable, Codable, CaseIterable {
    case probe
    case report
}

/// One request outcome for one target, from a probe or a client report: the single
/// value that health, statistics, metrics and storage are all derived from.
public struct Observation: Hashable, Sendable {
    public var target: Target
    public var source: ObservationSource
    public var startedAt: Timestamp
    public var outcome: Outcome
    /// HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// Seconds from start to the complete answer (or to the failure).
    public var totalSeconds: Double
    /// Seconds to the first token, for completion probes and reports that measured it.
    public var ttftSeconds: Double?
    public var tokensIn: Int?
    public var tokensOut: Int?
    /// Cost of this request in USD, when known.
    public var costUSD: Double?
    /// When a rate-limited answer said to come back (`Retry-After`).
    public var retryAt: Timestamp?
    /// A short, secret-free description of a failure.
    public var message: String?
    /// Who sent a report (`uid:1000`, a client name, `anonymous`); nil for probes and unattributed reports.
    public var reporter: String?
    /// The gateway forwarded this request for `reporter`: its cost is that client's spend
    /// against its daily budget (kept across restarts). False for probes and `POST /v1/reports`.
    public var chargedToReporter = false
    /// A probe's phases (seconds from its start); nil for reports.
    public var phases: PhaseTimings?
    /// Output tokens per second while the answer streamed, when measured.
    public var tokensPerSecond: Double?
    /// The provider that really served the request (`x-inference-provider`), for routers.
    public var servedBy: String?
    /// Seconds of audio heard (speech-to-text) or spoken (text-to-speech), when known: a
    /// speech-to-text target is judged on seconds of compute per second of audio.
    public var audioSeconds: Double?
    /// Images made (text-to-image), when known.
    public var images: Int?
    /// The fleet host that made this observation and shared it through PostgreSQL; nil for this host's own.
    public var seenBy: String?
    /// A probe that made a real (paid) request, in completion mode: evidence a fleet shares.
    /// False for liveness probes (each host's network path is its own) and for reports.
    public var completionProbe = false
    /// How much this observation weighs in health and statistics: 1 for this host's own, `fleet.remote_weight` for a peer's.
    public var evidenceWeight: Double = 1

    public init(
        target: Target, source: ObservationSource, startedAt: Timestamp, outcome: Outcome,
        httpStatus: Int? = nil, totalSeconds: Double, ttftSeconds: Double? = nil,
        tokensIn: Int? = nil, tokensOut: Int? = nil, costUSD: Double? = nil,
        retryAt: Timestamp? = nil, message: String? = nil
    ) {
        self.target = target
        self.source = source
        self.startedAt = startedAt
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.totalSeconds = totalSeconds
        self.ttftSeconds = ttftSeconds
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.costUSD = costUSD
        self.retryAt = retryAt
        self.message = message
    }

    /// When the request finished: the time this observation is about.
    public var finishedAt: Timestamp { startedAt + totalSeconds }
}

/// Anything that consumes observations and state transitions (store writer, metrics, …).
public protocol ObservationSink: Sendable {
    func record(_ observation: Observation)
    func record(_ transition: Transition)
    func record(_ event: DaemonEvent)
}

extension ObservationSink {
    /// Sinks that keep no daemon-wide events ignore them.
    public func record(_ event: DaemonEvent) {}
}
