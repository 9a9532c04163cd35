/// When a gateway request's first attempt is hedged: after a quantile of its target's
/// time to first byte, or after a fixed duration (`hedge: { after: p95 | 800ms }`).
public enum HedgeTrigger: Hashable, Sendable {
    /// After this quantile (0.5, 0.9, 0.95 or 0.99) of the target's recent times to first byte.
    case quantile(Double)
    /// After this many seconds, whatever the target's history.
    case seconds(Double)

    /// The quantiles `after:` accepts, by name.
    public static let namedQuantiles: [(name: String, value: Double)] = [("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99)]

    /// `p95`, or nil when `quantile` has no name (a duration is formatted by the caller).
    public var quantileName: String? {
        guard case .quantile(let q) = self else { return nil }
        return Self.namedQuantiles.first { $0.value == q }?.name
    }
}

/// A model's (or provider's) hedging: `hedge: { after: p95, max_extra: 5% }`. Off when absent.
public struct HedgeSettings: Hashable, Sendable {
    public var trigger: HedgeTrigger
    /// Hedges allowed per request of the target, as a share in (0, 1]: 0.05 is 5 % extra requests.
    public var maxExtra: Double

    public init(trigger: HedgeTrigger, maxExtra: Double) {
        self.trigger = trigger
        self.maxExtra = maxExtra
    }
}

/// The hedging state of one target, as a value: its recent times to first byte and its
/// hedge budget. The gateway holds one per target with hedging on; every decision is a
/// pure function of what was recorded, so it is tested with given numbers.
///
/// Times to first byte come from the gateway's own attempts at this target. A first attempt
/// that lost a hedge race is recorded at the moment it was canceled: a lower bound of its
/// real time, which keeps every quantile below that moment exact (the loser is known to be
/// slower than it). The health book never sees those (a canceled attempt is no report), so
/// its TTFT quantiles would drift down to the fast part and hedges would fire too early.
public struct HedgeState: Hashable, Sendable {
    /// Fewer samples than this: no quantile is trusted, no hedge (a fixed `after:` needs none).
    public static let minimumSamples = 20
    /// The most credit a quiet period can bank: hedges in a burst.
    public static let maximumCredit = 10
    /// Credit is counted in millionths of a hedge, so that 20 requests at 5 % make exactly one.
    private static let unit = 1_000_000

    public private(set) var firstByte = SampleWindow(capacity: 256)
    /// Hedges that may start now; grows by `maxExtra` per request, one hedge spends 1.
    public var credit: Double { Double(millionths) / Double(Self.unit) }
    private var millionths = 0

    public init() {}

    /// A request's first attempt at this target starts: earns `maxExtra` of credit and
    /// answers after how many seconds without a first byte it would be hedged (nil: never).
    public mutating func admit(_ settings: HedgeSettings) -> Double? {
        let earned = Int((settings.maxExtra * Double(Self.unit)).rounded())
        millionths = min(Self.maximumCredit * Self.unit, millionths + earned)
        switch settings.trigger {
        case .seconds(let seconds):
            return seconds
        case .quantile(let q):
            guard firstByte.count >= Self.minimumSamples else { return nil }
            return firstByte.quantile(q)
        }
    }

    /// The hedge instant came: true (and one credit spent) when the budget allows a hedge.
    public mutating func spend() -> Bool {
        guard millionths >= Self.unit else { return false }
        millionths -= Self.unit
        return true
    }

    /// A first attempt's first byte came after `seconds` (a canceled loser: when it was canceled).
    public mutating func record(firstByteSeconds seconds: Double) {
        firstByte.add(seconds)
    }
}
