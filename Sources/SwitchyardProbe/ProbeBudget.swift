import SwitchyardCore

/// What one provider's completion probes may spend per UTC day, and what they spent.
/// A value: time comes in as a parameter; the day rolls over at 00:00 UTC.
public struct ProbeBudget: Hashable, Sendable {
    /// USD per UTC day; nil means no limit. A reload may change it; today's spend stays.
    public var limitUSD: Double?
    /// The UTC day (days since the epoch) `spentUSD` belongs to.
    public private(set) var day: Int64
    public private(set) var spentUSD: Double = 0
    /// The dearest completion probe seen (of any task).
    public private(set) var largestProbeUSD: Double = 0
    /// The dearest completion probe seen and the latest estimate, per task: a probe reserves what its
    /// own task's probes cost, so a dear image probe stops before the budget while cheap chat
    /// probes of the same provider go on until they would cross it themselves.
    private var largestByTask: [InferenceTask: Double] = [:]
    private var estimatedByTask: [InferenceTask: Double] = [:]
    /// What the completion probes running now may spend: reserved at launch, settled when they end.
    public private(set) var reservedUSD: Double = 0
    /// The latest estimate of one probe's cost (from the price), so the status knows what the next would need.
    public private(set) var estimatedProbeUSD: Double = 0

    /// What one running completion probe holds of the budget until it is settled.
    public struct Reservation: Hashable, Sendable {
        public let usd: Double
        /// The UTC day it was taken on: a reservation from before midnight frees nothing today.
        public let day: Int64
        /// The task of the probe holding it, whose dearest cost its settled cost may raise.
        public let task: InferenceTask

        public init(usd: Double, day: Int64, task: InferenceTask = .chat) {
            self.usd = usd
            self.day = day
            self.task = task
        }
    }

    public init(limitUSD: Double?, now: Timestamp) {
        self.limitUSD = limitUSD
        self.day = ProbeBudget.utcDay(now)
    }

    /// Adds the cost of a finished probe of `task`.
    public mutating func record(costUSD: Double, task: InferenceTask = .chat, at now: Timestamp) {
        roll(to: now)
        guard costUSD > 0 else { return }
        spentUSD += costUSD
        largestProbeUSD = max(largestProbeUSD, costUSD)
        largestByTask[task] = max(largestByTask[task] ?? 0, costUSD)
    }

    /// Seeds today's spend at start-up (e.g. from the store), so a restart does not reset the budget.
    /// Spend from another UTC day is ignored.
    public mutating func restore(spentUSD: Double, on day: Timestamp, now: Timestamp) {
        roll(to: now)
        guard ProbeBudget.utcDay(day) == self.day, spentUSD > 0 else { return }
        self.spentUSD += spentUSD
    }

    /// Whether a completion probe may start now: one more probe as dear as the dearest so far of
    /// the cheapest task seen, on top of what is spent and reserved, stays within the limit.
    public mutating func allowsCompletion(at now: Timestamp) -> Bool {
        roll(to: now)
        guard let limitUSD else { return true }
        let tasks = Set(largestByTask.keys).union(estimatedByTask.keys)
        let next = tasks.map { max(largestByTask[$0] ?? 0, estimatedByTask[$0] ?? 0) }.min() ?? 0
        return spentUSD + reservedUSD + next <= limitUSD && spentUSD + reservedUSD < limitUSD
    }

    /// Reserves what a completion probe of `task` about to start may cost: `estimateUSD`, or the
    /// dearest probe of that task seen if that is more. Nil when it would not fit beside what is
    /// spent and already reserved, so probes launched together cannot overshoot the limit. Settle
    /// it with `settle(_:costUSD:at:)`.
    public mutating func reserveCompletion(estimateUSD: Double, task: InferenceTask = .chat, at now: Timestamp) -> Reservation? {
        roll(to: now)
        estimatedProbeUSD = max(estimateUSD, 0)
        estimatedByTask[task] = estimatedProbeUSD
        let usd = max(estimatedProbeUSD, largestByTask[task] ?? 0)
        if let limitUSD {
            guard spentUSD + reservedUSD + usd <= limitUSD, spentUSD + reservedUSD < limitUSD else { return nil }
        }
        reservedUSD += usd
        return Reservation(usd: usd, day: day, task: task)
    }

    /// Ends a reservation: frees it and counts what the probe really cost (nil when it spent nothing:
    /// canceled, failed before an answer, or free).
    public mutating func settle(_ reservation: Reservation, costUSD: Double?, at now: Timestamp) {
        roll(to: now)
        if reservation.day == day { reservedUSD = max(0, reservedUSD - reservation.usd) }
        if let costUSD { record(costUSD: costUSD, task: reservation.task, at: now) }
    }

    /// Whether what is spent and reserved today stays within one host's share of the limit among
    /// `hosts`: its part of a fleet's budget while the fleet cannot be asked (`ProbeDutyAnswer.unreachable`).
    public mutating func withinShare(ofHosts hosts: Int, at now: Timestamp) -> Bool {
        roll(to: now)
        guard let limitUSD else { return true }
        return spentUSD + reservedUSD <= limitUSD / Double(max(hosts, 1))
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
        reservedUSD = 0
    }

    static func utcDay(_ time: Timestamp) -> Int64 { Int64((time.secondsSinceEpoch / 86_400).rounded(.down)) }
}

/// Every provider's budget, as a value the probe plan holds (its budget gate).
/// A provider a reload removes keeps its day's spend, in case it comes back the same day.
public struct ProbeBudgetBook: Sendable {
    private var budgets: [ProviderID: ProbeBudget]
    private var configured: Set<ProviderID>
    /// The other providers drawing on each budget (`ProbeTarget.budgetOwner`).
    private var members: [ProviderID: [ProviderID]]

    init(limits: [ProviderID: Double?], members: [ProviderID: [ProviderID]] = [:], now: Timestamp) {
        budgets = limits.mapValues { ProbeBudget(limitUSD: $0, now: now) }
        configured = Set(limits.keys)
        self.members = members
    }

    /// Adopts a reloaded configuration's limits: providers keep today's spend, also across a removal and return.
    mutating func setLimits(_ limits: [ProviderID: Double?], members: [ProviderID: [ProviderID]] = [:], now: Timestamp) {
        self.members = members
        for (provider, limit) in limits {
            var budget = budgets[provider] ?? ProbeBudget(limitUSD: limit, now: now)
            budget.limitUSD = limit
            budgets[provider] = budget
        }
        configured = Set(limits.keys)
    }

    mutating func record(_ provider: ProviderID, costUSD: Double, at now: Timestamp) {
        budgets[provider]?.record(costUSD: costUSD, at: now)
    }

    /// Reserves a completion probe's estimated cost; nil when the provider's budget has no room for it.
    /// A provider without a budget entry gets a reservation of nothing.
    mutating func reserveCompletion(_ provider: ProviderID, estimateUSD: Double, task: InferenceTask = .chat, at now: Timestamp) -> ProbeBudget.Reservation? {
        guard budgets[provider] != nil else { return ProbeBudget.Reservation(usd: 0, day: ProbeBudget.utcDay(now), task: task) }
        return budgets[provider]!.reserveCompletion(estimateUSD: estimateUSD, task: task, at: now)
    }

    /// Frees a reservation and counts the probe's actual cost.
    mutating func settle(_ provider: ProviderID, _ reservation: ProbeBudget.Reservation, costUSD: Double?, at now: Timestamp) {
        budgets[provider]?.settle(reservation, costUSD: costUSD, at: now)
    }

    /// `ProbeBudget.withinShare`; true for a provider without a budget.
    mutating func withinShare(_ provider: ProviderID, ofHosts hosts: Int, at now: Timestamp) -> Bool {
        budgets[provider]?.withinShare(ofHosts: hosts, at: now) ?? true
    }

    mutating func restore(_ provider: ProviderID, spentUSD: Double, on day: Timestamp, now: Timestamp) {
        budgets[provider]?.restore(spentUSD: spentUSD, on: day, now: now)
    }

    /// The configured providers' budgets, sorted by provider.
    public func statuses(at now: Timestamp) -> [ProbeBudgetStatus] {
        configured.sorted().compactMap { provider in
            var budget = budgets[provider]
            var status = budget?.status(provider: provider, at: now)
            status?.sharedBy = members[provider] ?? []
            return status
        }
    }
}
