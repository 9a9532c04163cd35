import SwitchyardCore

/// What one probe measured. A probe returns this value and touches nothing else.
public struct ProbeResult: Hashable, Sendable {
    public var outcome: Outcome
    public var httpStatus: Int?
    public var timings: PhaseTimings
    public var ttftSeconds: Double?
    public var tokensIn: Int?
    public var tokensOut: Int?
    public var costUSD: Double?
    /// Output tokens per second while the answer streamed (after the first token).
    public var tokensPerSecond: Double?
    /// Seconds the provider asked us to wait (Retry-After), when it said.
    public var retryAfterSeconds: Double?
    /// The provider that really served the request (`x-inference-provider`), for routers.
    public var servedBy: String?
    /// Short and secret-free.
    public var message: String?
    /// Seconds of audio the probe sent (speech-to-text) or got back (text-to-speech), when known.
    public var audioSeconds: Double?

    public init(outcome: Outcome, httpStatus: Int? = nil, timings: PhaseTimings, ttftSeconds: Double? = nil,
                tokensIn: Int? = nil, tokensOut: Int? = nil, costUSD: Double? = nil, tokensPerSecond: Double? = nil,
                retryAfterSeconds: Double? = nil, servedBy: String? = nil, message: String? = nil) {
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.timings = timings
        self.ttftSeconds = ttftSeconds
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.costUSD = costUSD
        self.tokensPerSecond = tokensPerSecond
        self.retryAfterSeconds = retryAfterSeconds
        self.servedBy = servedBy
        self.message = message
    }

    /// The observation this probe contributes, stamped with its start time: everything it
    /// measured (phases, tokens per second, the serving provider), so every sink reads one value.
    public func observation(of target: Target, startedAt: Timestamp) -> Observation {
        var observation = Observation(
            target: target, source: .probe, startedAt: startedAt, outcome: outcome, httpStatus: httpStatus,
            totalSeconds: timings.total, ttftSeconds: ttftSeconds, tokensIn: tokensIn, tokensOut: tokensOut,
            costUSD: costUSD, retryAt: retryAfterSeconds.map { startedAt + timings.total + $0 }, message: message
        )
        observation.phases = timings
        observation.tokensPerSecond = tokensPerSecond
        observation.servedBy = servedBy
        observation.audioSeconds = audioSeconds
        return observation
    }
}
