/// One provider's probe budget, for `GET /v1/providers` and `/metrics`.
public struct ProbeBudgetStatus: Hashable, Sendable {
    public var provider: ProviderID
    public var limitUSD: Double?
    public var spentTodayUSD: Double
    /// True when the day's budget is spent: only free liveness probes run until `resetsAt`.
    public var completionProbesPaused: Bool
    /// The next 00:00 UTC.
    public var resetsAt: Timestamp
    /// Other providers whose probes draw on this budget (the providers a discovering provider made).
    public var sharedBy: [ProviderID] = []

    public init(provider: ProviderID, limitUSD: Double?, spentTodayUSD: Double, completionProbesPaused: Bool, resetsAt: Timestamp) {
        self.provider = provider
        self.limitUSD = limitUSD
        self.spentTodayUSD = spentTodayUSD
        self.completionProbesPaused = completionProbesPaused
        self.resetsAt = resetsAt
    }

    /// What is left of today's budget; nil without a limit.
    public var remainingUSD: Double? { limitUSD.map { max(0, $0 - spentTodayUSD) } }
}
