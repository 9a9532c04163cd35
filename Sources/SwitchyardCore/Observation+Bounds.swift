extension Observation {
    /// The most tokens one request is believed to have taken in, or given out.
    public static let maxTokens = 100_000_000
    /// The longest request believed (a week).
    public static let maxTotalSeconds = 7 * 86_400.0
    /// The highest cost of one request believed, in USD.
    public static let maxCostUSD = 1e6
    /// The instants an observation may be about: 2000 through 2199.
    static let believableStart = 946_684_800.0...7_258_118_400.0

    /// This observation with every figure a provider, a caller or a peer could make absurd
    /// brought into range: tokens to `0...maxTokens`, times and costs finite and non-negative
    /// (a TTFT within the total), `retryAt` within `RetryAfter.maxSeconds` of the end, rates and
    /// audio seconds up to 10^7, images up to 10^4. Nil when its start is not believable (not
    /// finite, or outside 2000–2199): such an observation is dropped, not guessed at.
    /// Everything health, statistics, metrics and storage derive from goes through it: huge
    /// token counts overflowed the minute rollups, and such instants trapped when formatted.
    public func bounded() -> Observation? {
        guard Self.believableStart.contains(startedAt.secondsSinceEpoch) else { return nil }
        var bounded = self
        bounded.totalSeconds = totalSeconds.isFinite ? min(max(totalSeconds, 0), Self.maxTotalSeconds) : 0
        bounded.ttftSeconds = ttftSeconds.flatMap { $0.isFinite && $0 >= 0 ? min($0, bounded.totalSeconds) : nil }
        bounded.tokensIn = tokensIn.map { min(max($0, 0), Self.maxTokens) }
        bounded.tokensOut = tokensOut.map { min(max($0, 0), Self.maxTokens) }
        bounded.costUSD = costUSD.flatMap { $0.isFinite && $0 >= 0 ? min($0, Self.maxCostUSD) : nil }
        bounded.retryAt = retryAt.flatMap { retryAt in
            retryAt.secondsSinceEpoch.isFinite ? min(retryAt, bounded.finishedAt + RetryAfter.maxSeconds) : nil
        }
        bounded.tokensPerSecond = tokensPerSecond.flatMap { $0.isFinite && $0 >= 0 ? min($0, 1e7) : nil }
        bounded.audioSeconds = audioSeconds.flatMap { $0.isFinite && $0 >= 0 ? min($0, 1e7) : nil }
        bounded.images = images.map { min(max($0, 0), 10_000) }
        return bounded
    }
}
