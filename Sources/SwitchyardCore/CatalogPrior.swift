/// A catalog's published figures as a prior for a target's statistics.
///
/// The prior counts as `weight` pseudo-samples of each figure, and every local sample of that
/// figure takes one pseudo-sample's place: with `n` local samples the estimate is
///
///     ((weight − n) · catalog + n · local p50) / weight      while n < weight
///     local p50                                             from n = weight on
///
/// so the catalog decides alone before the first local sample, fades linearly, and has no say
/// at all once `weight` local samples exist. Local samples are never rewritten: a prior that
/// changes (a catalog refresh) moves only the estimate of figures still short of `weight` samples.
public struct CatalogPrior: Hashable, Sendable {
    /// Published time to first token.
    public var ttftSeconds: Double?
    /// Published output tokens per second.
    public var tokensPerSecond: Double?
    /// Time of a whole typical answer: the published TTFT plus the typical output at the published rate.
    public var totalSeconds: Double?
    /// Pseudo-samples each figure counts as (at least 1).
    public var weight: Int

    public init(ttftSeconds: Double? = nil, tokensPerSecond: Double? = nil, totalSeconds: Double? = nil, weight: Int) {
        self.ttftSeconds = ttftSeconds
        self.tokensPerSecond = tokensPerSecond
        self.totalSeconds = totalSeconds
        self.weight = max(weight, 1)
    }

    /// The prior for `published` figures, or nil when they hold neither a latency nor a rate
    /// (or `weight` is 0: priors are off). The whole-answer time needs both figures.
    public init?(_ published: PublishedFigures?, weight: Int, typicalTokensOut: Int) {
        guard weight > 0, let published else { return nil }
        let ttft = published.firstTokenLatencyMs.flatMap { $0.isFinite && $0 >= 0 ? $0 / 1000 : nil }
        let rate = published.tokensPerSecond.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        guard ttft != nil || rate != nil else { return nil }
        let total = ttft.flatMap { ttft in rate.map { ttft + Double(typicalTokensOut) / $0 } }
        self.init(ttftSeconds: ttft, tokensPerSecond: rate, totalSeconds: total, weight: weight)
    }

    /// The estimate of one figure from its catalog value and its local window; nil when neither exists.
    public func blend(_ catalog: Double?, with window: SampleWindow) -> Double? {
        guard let catalog, window.count < weight else { return window.p50 }
        guard let local = window.p50 else { return catalog }
        let n = Double(window.count)
        return ((Double(weight) - n) * catalog + n * local) / Double(weight)
    }

    /// Whether the catalog still has a say in a figure measured `samples` times.
    public func weighs(_ catalog: Double?, samples: Int) -> Bool { catalog != nil && samples < weight }
}
