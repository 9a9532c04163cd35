import SwitchyardCore
import Testing

/// Each client's rate bucket and day budget, checked exactly at chosen instants (no clocks, no sleeps).
struct ClientAllowanceTests {
    /// 2026-12-05T23:59:00Z: one minute before a UTC midnight.
    static let lateEvening = Timestamp(secondsSinceEpoch: 1_796_515_140)

    @Test func theUTCDayAndTheSecondsToMidnight() {
        #expect(ClientAllowance.utcDay(Self.lateEvening) == 20_792)
        #expect(ClientAllowance.secondsToMidnight(Self.lateEvening) == 60)
        #expect(ClientAllowance.utcDay(Self.lateEvening + 60) == 20_793)
        #expect(ClientAllowance.secondsToMidnight(Self.lateEvening + 60) == 86_400)
    }

    @Test func aBucketHoldsOneMinuteAndRefillsContinuously() {
        var allowance = ClientAllowance()
        let limits = ClientLimits(requestsPerMinute: 2)
        let t0 = Self.lateEvening
        #expect(allowance.admit("app", limits: limits, now: t0) == .allowed)
        #expect(allowance.admit("app", limits: limits, now: t0) == .allowed)
        #expect(allowance.admit("app", limits: limits, now: t0) == .rateLimited(retryAfter: 30))
        // 12 s later 0.4 of a request has come back: 18 s to go. A refusal takes nothing.
        #expect(allowance.admit("app", limits: limits, now: t0 + 12) == .rateLimited(retryAfter: 18))
        #expect(allowance.admit("app", limits: limits, now: t0 + 30) == .allowed)
        #expect(allowance.admit("app", limits: limits, now: t0 + 30) == .rateLimited(retryAfter: 30))
        // An idle hour refills to one minute's worth, never more.
        for _ in 0..<2 { #expect(allowance.admit("app", limits: limits, now: t0 + 3600) == .allowed) }
        #expect(allowance.admit("app", limits: limits, now: t0 + 3600) == .rateLimited(retryAfter: 30))
        // Another client has its own bucket; a client without a rate has none.
        #expect(allowance.admit("other", limits: limits, now: t0 + 3600) == .allowed)
        for _ in 0..<100 { #expect(allowance.admit("free", limits: ClientLimits(), now: t0) == .allowed) }
    }

    @Test func aClientOverItsBudgetIsRefusedUntilMidnightUTCAndThenStartsAgain() {
        var allowance = ClientAllowance()
        let limits = ClientLimits(usdPerDay: 0.01)
        let t0 = Self.lateEvening + -3600  // 22:59:00Z
        #expect(allowance.admit("app", limits: limits, now: t0) == .allowed)
        allowance.spend("app", usd: 0.006, now: t0)
        #expect(allowance.admit("app", limits: limits, now: t0 + 1) == .allowed)
        allowance.spend("app", usd: 0.006, now: t0 + 2)
        #expect(allowance.spent("app", now: t0 + 2) == 0.012)
        #expect(allowance.admit("app", limits: limits, now: t0 + 3) == .overBudget(retryAfter: 3597 + 60))
        #expect(allowance.admit("app", limits: limits, now: Self.lateEvening + 59.5) == .overBudget(retryAfter: 0.5))
        #expect(allowance.spent("other", now: t0) == 0)
        // Midnight UTC: the new day starts at nothing spent.
        #expect(allowance.spent("app", now: Self.lateEvening + 60) == 0)
        #expect(allowance.admit("app", limits: limits, now: Self.lateEvening + 60) == .allowed)
        allowance.spend("app", usd: 0.004, now: Self.lateEvening + 61)
        #expect(allowance.spent("app", now: Self.lateEvening + 61) == 0.004)
        // A budget of 0 admits nothing.
        #expect(allowance.admit("zero", limits: ClientLimits(usdPerDay: 0), now: t0) == .overBudget(retryAfter: 3660))
    }

    @Test func overBudgetIsAnsweredBeforeTheRateAndKeepsTheTokens() {
        var allowance = ClientAllowance()
        let limits = ClientLimits(requestsPerMinute: 1, usdPerDay: 1)
        let t0 = Self.lateEvening + -600
        allowance.spend("app", usd: 1, now: t0)
        #expect(allowance.admit("app", limits: limits, now: t0) == .overBudget(retryAfter: 660))
        // The budget limit is lifted (a reload): its one token is still there.
        #expect(allowance.admit("app", limits: ClientLimits(requestsPerMinute: 1), now: t0) == .allowed)
        #expect(allowance.admit("app", limits: ClientLimits(requestsPerMinute: 1), now: t0) == .rateLimited(retryAfter: 60))
    }

    @Test func aReloadThatChangesTheLimitsKeepsTheSpendAndResizesTheBucket() {
        var allowance = ClientAllowance()
        let t0 = Self.lateEvening + -600
        for _ in 0..<4 { #expect(allowance.admit("app", limits: ClientLimits(requestsPerMinute: 10, usdPerDay: 1), now: t0) == .allowed) }
        allowance.spend("app", usd: 0.5, now: t0)
        // 6 tokens left; the new rate of 3 per minute holds at most 3, and refills at 3 per minute.
        let smaller = ClientLimits(requestsPerMinute: 3, usdPerDay: 0.4)
        #expect(allowance.admit("app", limits: smaller, now: t0) == .overBudget(retryAfter: 660))
        let lifted = ClientLimits(requestsPerMinute: 3, usdPerDay: 2)
        for _ in 0..<3 { #expect(allowance.admit("app", limits: lifted, now: t0) == .allowed) }
        #expect(allowance.admit("app", limits: lifted, now: t0) == .rateLimited(retryAfter: 20))
        #expect(allowance.spent("app", now: t0) == 0.5)
        // A larger rate keeps what is left (none here) and refills at the new rate: 60 per minute.
        let larger = ClientLimits(requestsPerMinute: 60)
        #expect(allowance.admit("app", limits: larger, now: t0) == .rateLimited(retryAfter: 1))
        #expect(allowance.admit("app", limits: larger, now: t0 + 1) == .allowed)
    }

    @Test func nothingIsSpentByFreeOrNonsenseCosts() {
        var allowance = ClientAllowance()
        allowance.spend("app", usd: 0, now: Self.lateEvening)
        allowance.spend("app", usd: -1, now: Self.lateEvening)
        allowance.spend("app", usd: .nan, now: Self.lateEvening)
        #expect(allowance.spent("app", now: Self.lateEvening) == 0)
    }
}
