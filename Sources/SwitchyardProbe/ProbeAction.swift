import SwitchyardCore

/// What the probe plan tells its scheduler to do. The plan decides; the scheduler only
/// carries these out (starts tasks, sets timers, keeps the watchdog's ledger).
public enum ProbeAction<Instant: Sendable>: Sendable {
    /// Start this probe now.
    case launch(ProbeLaunch<Instant>)
    /// Set a timer: step the plan again at this instant (the end of the earliest window still closed).
    case sleep(until: Instant)
    /// Step the plan soon: something changed (a reload, an early probe, a sooner next probe).
    case wakeLoop
    /// The scheduler will act on `target` again by this instant (for the watchdog's ledger).
    case promise(Target, by: Instant)
    /// `target` is no longer probed and owes nothing.
    case release(Target)
    /// Every target has been probed once (or there are none); given once.
    case firstRoundDone
}

/// One probe the plan starts: what to probe (its mode lowered to liveness when the budget
/// has no room), for which generation, when it was planned, its provider's cap, and the
/// share of the budget it holds until it ends.
public struct ProbeLaunch<Instant: Sendable>: Sendable {
    public var target: ProbeTarget
    public var generation: Int
    /// The end of its window: lateness counts from here.
    public var planned: Instant
    public var providerLimiter: ConcurrencyLimiter?
    public var reservation: ProbeBudget.Reservation?
    /// Asked for out of turn (to confirm reports): it reads its own model list, shared with no earlier fetch.
    public var outOfTurn = false
    /// A completion probe in a fleet: its claim on the slot, to settle with `ProbePlan.applyDuty` before it runs.
    public var duty: ProbeDutyClaim?
}

/// How a launched probe ended, as the plan needs it.
public struct FinishedProbe: Sendable {
    public var target: Target
    public var generation: Int
    public var reservation: ProbeBudget.Reservation?
    /// What it cost (nil: nothing, or unknown).
    public var costUSD: Double?
    /// Whether its observation was delivered (false: canceled, or of a stale generation).
    public var delivered: Bool
    /// Seconds from now until the next probe may come, as the health book decides it (before jitter).
    public var nextInSeconds: Double
    /// The budget its cost counts against (`ProbeTarget.budgetProvider`); nil: its own provider's.
    public var budgetProvider: ProviderID?

    public init(target: Target, generation: Int, reservation: ProbeBudget.Reservation? = nil, costUSD: Double? = nil,
                delivered: Bool, nextInSeconds: Double, budgetProvider: ProviderID? = nil) {
        self.target = target
        self.generation = generation
        self.reservation = reservation
        self.costUSD = costUSD
        self.delivered = delivered
        self.nextInSeconds = nextInSeconds
        self.budgetProvider = budgetProvider
    }
}
