import SwitchyardCore

/// One configured client's gateway use, for the status page: today's spend against its
/// budget, its rate, and the 429s it got since the daemon started.
public struct ClientUsage: Sendable, Hashable {
    /// 429s before any upstream attempt, by reason.
    public struct Refusals: Sendable, Hashable {
        public var rate = 0
        public var budget = 0

        public init(rate: Int = 0, budget: Int = 0) {
            self.rate = rate
            self.budget = budget
        }
    }

    /// The configured client's name.
    public var client: String
    /// USD its answered gateway attempts cost on the current UTC day.
    public var spentTodayUSD: Double
    /// Its `rate` and `budget` as configured now (nil parts are unlimited).
    public var limits: ClientLimits
    public var refusedSinceStart: Refusals

    public init(client: String, spentTodayUSD: Double, limits: ClientLimits, refusedSinceStart: Refusals = .init()) {
        self.client = client
        self.spentTodayUSD = spentTodayUSD
        self.limits = limits
        self.refusedSinceStart = refusedSinceStart
    }
}
