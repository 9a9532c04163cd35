import Synchronization
import SwitchyardCore

/// What one provider's completion probes may spend per UTC day, and what they spent.
/// A value: time comes in as a parameter; the day rolls over at 00:00 UTC.
public struct ProbeBudget: Hashable, Sendable {
    /// USD per UTC day; nil means no limit. A reload may change it; today's spend stays.
    public var limitUSD: Double?
    /// The UTC day (days since the epoch) `spentUSD` belongs to.
    public private(set) var day: Int64
    public private(set) var spentUSD: Double = 0
    /// The dearest completion probe seen, used to stop before a probe would cross the limit.
    public private(set) var largestProbeUSD: Double = 0

    public init(limitUSD: Double?, now: Timestamp) {
        self.limitUSD = limitUSD
        self.day = ProbeBudget.utcDay(now)
    }

    /// Adds the cost of a finished probe.
    public mutating func record(costUSD: Double, at now: Timestamp) {
        roll(to: now)
        guard costUSD > 0 else { return }
        spentUSD += costUSD
        largestProbeUSD = max(largestProbeUSD, costUSD)
    }

    /// Seeds today's spend at start-up (e.g. from the store), so a restart does not reset the budget.
    /// Spend from another UTC day is ignored.
    public mutating func restore(spentUSD: Double, on day: Timestamp, now: Timestamp) {
        roll(to: now)
        guard ProbeBudget.utcDay(day) == self.day, spentUSD > 0 else { return }
        self.spentUSD += spentUSD
    }

    /// Whether a completion probe may start now: one more probe as dear as the dearest so far stays within the limit.
    public mutating func allowsCompletion(at now: Timestamp) -> Bool {
        roll(to: now)
        guard let limitUSD else { return true }
        return spentUSD + largestProbeUSD <= limitUSD && spentUSD < limitUSD
    }

    /// The budget as the API and metrics show it.
    public mutating func status(provider: ProviderID, at now: Timestamp) -> ProbeBudgetStatus {
        let allowed = allowsCompletion(at: now)
        return ProbeBudgetStatus(
            provider: provider, limitUSD: limitUSD, spentTodayUSD: spentUSD, completionProbesPaused: !allowed,
            resetsAt: Timestamp(secondsSinceEpoch: Double(day + 1) * 86_400)
        )
    }

    private mutating func roll(to now: Timestamp) {
        let today = ProbeBudget.utcDay(now)
        guard today != day else { return }
        day = today
        spentUSD = 0
    }

    static func utcDay(_ time: Timestamp) -> Int64 { Int64((time.secondsSinceEpoch / 86_400).rounded(.down)) }
}

/// Every provider's budget behind one lock, shared by the probe loops of its targets.
final class ProbeBudgetBook: Sendable {
    private let budgets: Mutex<[ProviderID: ProbeBudget]>

    init(limits: [ProviderID: Double?], now: Timestamp) {
        budgets = Mutex(limits.mapValues { ProbeBudget(limitUSD: $0, now: now) })
    }

    /// Adopts a reloaded configuration's limits: providers that stay keep today's spend.
    func setLimits(_ limits: [ProviderID: Double?], now: Timestamp) {
        budgets.withLock { budgets in
            budgets = limits.reduce(into: [:]) { next, entry in
                var budget = budgets[entry.key] ?? ProbeBudget(limitUSD: entry.value, now: now)
                budget.limitUSD = entry.value
                next[entry.key] = budget
            }
        }
    }

    func allowsCompletion(_ provider: ProviderID, at now: Timestamp) -> Bool {
        budgets.withLock { $0[provider]?.allowsCompletion(at: now) ?? true }
    }

    func record(_ provider: ProviderID, costUSD: Double, at now: Timestamp) {
        budgets.withLock { $0[provider]?.record(costUSD: costUSD, at: now) }
    }

    func restore(_ provider: ProviderID, spentUSD: Double, on day: Timestamp, now: Timestamp) {
        budgets.withLock { $0[provider]?.restore(spentUSD: spentUSD, on: day, now: now) }
    }

    func statuses(at now: Timestamp) -> [ProbeBudgetStatus] {
        budgets.withLock { budgets in
            budgets.keys.sorted().map { provider in budgets[provider]!.status(provider: provider, at: now) }
        }
    }
}
