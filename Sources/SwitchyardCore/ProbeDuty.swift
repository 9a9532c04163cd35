/// Who of a fleet runs a paid completion probe: before launching one, a host claims the
/// target's interval slot; one host wins, the others probe liveness only (free, their own
/// network path) and take the winner's result from the fleet. Implemented on PostgreSQL by
/// the fleet module; the scheduler only asks and hands the answer to its plan.
public protocol ProbeDuty: Sendable {
    /// Claims `claim`'s slot (and its estimated cost from the fleet's budget) with one atomic
    /// decision. Never throws: an unreachable fleet is an answer. Bounded in time by the implementation.
    func claim(_ claim: ProbeDutyClaim) async -> ProbeDutyAnswer
    /// What the won probe really cost (nil: nothing), to settle the fleet's budget against the claim's estimate.
    func settle(_ claim: ProbeDutyClaim, costUSD: Double?) async
}

/// One completion probe's claim on its target's interval slot.
public struct ProbeDutyClaim: Hashable, Sendable {
    public var target: Target
    /// The budget its cost counts against (`ProbeTarget.budgetProvider`).
    public var budgetProvider: ProviderID
    /// The interval slot: whole intervals since the epoch, by the wall clock (hosts keep time by NTP).
    public var slot: Int64
    /// The UTC day (days since the epoch) the cost belongs to.
    public var day: Int64
    /// What the probe may cost at most (the plan's reservation).
    public var estimateUSD: Double
    /// The budget's limit per UTC day, fleet-wide; nil: none.
    public var limitUSD: Double?

    public init(target: Target, budgetProvider: ProviderID, slot: Int64, day: Int64, estimateUSD: Double, limitUSD: Double?) {
        self.target = target
        self.budgetProvider = budgetProvider
        self.slot = slot
        self.day = day
        self.estimateUSD = estimateUSD
        self.limitUSD = limitUSD
    }

    /// The slot `wallTime` falls in for probes every `intervalSeconds`.
    public static func slot(at wallTime: Timestamp, intervalSeconds: Double) -> Int64 {
        Int64((wallTime.secondsSinceEpoch / max(intervalSeconds, 0.001)).rounded(.down))
    }
}

/// How a claim came out.
public enum ProbeDutyAnswer: Hashable, Sendable {
    /// This host probes and publishes.
    case won
    /// Another host has the slot (its name when known): probe liveness only.
    case taken(by: String?)
    /// The slot was free but the fleet's budget for the day has no room: probe liveness only.
    case budgetSpent
    /// The fleet could not be asked: probe alone, within this host's share of the budget
    /// (the limit divided by the hosts last seen).
    case unreachable(hostsSeen: Int)
}
