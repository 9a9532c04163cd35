import SwitchyardCore
import SwitchyardProbe
import Testing

/// The scheduling decisions as values: exact, with time and jitter passed in.
@Suite struct ProbeBackoffTests {
    @Test func successKeepsTheIntervalTimesJitter() {
        var backoff = ProbeBackoff(intervalSeconds: 10)
        let d1 = backoff.delay(after: .ok, retryAfterSeconds: nil, jitter: 1)
        #expect(d1 == 10)
        let d2 = backoff.delay(after: .ok, retryAfterSeconds: nil, jitter: 0.9)
        #expect(d2 == 9)
        #expect(backoff.consecutiveFailures == 0)
    }

    @Test func failuresDoubleUpToTheCapAndSuccessResets() {
        var backoff = ProbeBackoff(intervalSeconds: 10)
        let delays = (0..<6).map { _ in backoff.delay(after: .failure(.connectRefused), retryAfterSeconds: nil, jitter: 1) }
        #expect(delays == [10, 20, 40, 80, 80, 80])
        #expect(backoff.consecutiveFailures == 6)
        let d3 = backoff.delay(after: .ok, retryAfterSeconds: nil, jitter: 1)
        #expect(d3 == 10)
        let d4 = backoff.delay(after: .failure(.timeout), retryAfterSeconds: nil, jitter: 1)
        #expect(d4 == 10)
    }

    @Test func capStaysWithinTenMinutesAndNeverBelowTheInterval() {
        #expect(ProbeBackoff(intervalSeconds: 120).maxBackoffSeconds == 600)
        #expect(ProbeBackoff(intervalSeconds: 900).maxBackoffSeconds == 900)
        #expect(ProbeBackoff(intervalSeconds: 2).maxBackoffSeconds == 16)
    }

    @Test func retryAfterIsHonouredAndJitterNeverShortensIt() {
        var backoff = ProbeBackoff(intervalSeconds: 10)
        let d5 = backoff.delay(after: .failure(.rateLimited), retryAfterSeconds: 42, jitter: 0.9)
        #expect(d5 == 42)
        let d6 = backoff.delay(after: .failure(.rateLimited), retryAfterSeconds: 42, jitter: 1.1)
        #expect(d6 == 42 * 1.1)
        let d7 = backoff.delay(after: .failure(.serverError), retryAfterSeconds: 3, jitter: 1)
        #expect(d7 == 3)
        // Without Retry-After a 429 backs off like any failure (third failure in a row: 4 intervals).
        let d8 = backoff.delay(after: .failure(.rateLimited), retryAfterSeconds: nil, jitter: 1)
        #expect(d8 == 80)
    }

    @Test func canceledProbesNeitherCountNorReset() {
        var backoff = ProbeBackoff(intervalSeconds: 5)
        _ = backoff.delay(after: .failure(.dns), retryAfterSeconds: nil, jitter: 1)
        let d9 = backoff.delay(after: .failure(.canceled), retryAfterSeconds: nil, jitter: 1)
        #expect(d9 == 5)
        #expect(backoff.consecutiveFailures == 1)
        let d10 = backoff.delay(after: .failure(.dns), retryAfterSeconds: nil, jitter: 1)
        #expect(d10 == 10)
    }
}

/// The daily probe budget as a value, with the time passed in.
@Suite struct ProbeBudgetTests {
    private let day0 = Timestamp(secondsSinceEpoch: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 86_400))  // 00:00 UTC

    @Test func completionStopsBeforeAProbeWouldCrossTheLimit() {
        var budget = ProbeBudget(limitUSD: 0.035, now: day0)
        var allowed = 0
        for hour in 0..<10 {
            let now = day0 + Double(hour) * 3600
            guard budget.allowsCompletion(at: now) else { break }
            allowed += 1
            budget.record(costUSD: 0.01, at: now)
        }
        #expect(allowed == 3)
        #expect(abs(budget.spentUSD - 0.03) < 1e-12)
        let status = budget.status(provider: ProviderID("p"), at: day0 + 36_000)
        #expect(status.completionProbesPaused)
        #expect(status.resetsAt == day0 + 86_400)
    }

    @Test func theDayRollsOverAtMidnightUTC() {
        var budget = ProbeBudget(limitUSD: 0.01, now: day0 + 86_000)
        budget.record(costUSD: 0.01, at: day0 + 86_000)
        let a11 = budget.allowsCompletion(at: day0 + 86_399.9)
        #expect(!a11)
        let a12 = budget.allowsCompletion(at: day0 + 86_400)
        #expect(a12)
        #expect(budget.spentUSD == 0)
        #expect(budget.day == ProbeBudget(limitUSD: nil, now: day0 + 86_400).day)
    }

    @Test func noLimitNeverPausesAndAZeroLimitAlwaysDoes() {
        var free = ProbeBudget(limitUSD: nil, now: day0)
        free.record(costUSD: 1000, at: day0)
        let a13 = free.allowsCompletion(at: day0)
        #expect(a13)
        var none = ProbeBudget(limitUSD: 0, now: day0)
        let a14 = none.allowsCompletion(at: day0)
        #expect(!a14)
    }

    /// Probes of one provider due in the same wake-up: each reserves before launch, none has finished yet.
    @Test func probesLaunchedTogetherNeverOvershootTheBudget() {
        var budget = ProbeBudget(limitUSD: 0.035, now: day0)
        var granted: [ProbeBudget.Reservation] = []
        for _ in 0..<8 {
            if let reservation = budget.reserveCompletion(estimateUSD: 0.01, at: day0 + 60) { granted.append(reservation) }
        }
        #expect(granted.count == 3)
        #expect(abs(budget.reservedUSD - 0.03) < 1e-12)
        let allowedMeanwhile = budget.allowsCompletion(at: day0 + 60)
        #expect(!allowedMeanwhile, "the status counts the reserved probes too")
        for reservation in granted { budget.settle(reservation, costUSD: 0.01, at: day0 + 61) }
        #expect(abs(budget.spentUSD - 0.03) < 1e-12 && budget.spentUSD <= 0.035)
        #expect(budget.reservedUSD == 0)
        let after = budget.reserveCompletion(estimateUSD: 0.01, at: day0 + 62)
        #expect(after == nil)
    }

    @Test func aProbeThatSpentNothingReleasesItsReservation() {
        var budget = ProbeBudget(limitUSD: 0.01, now: day0)
        let first = budget.reserveCompletion(estimateUSD: 0.01, at: day0)
        let second = budget.reserveCompletion(estimateUSD: 0.01, at: day0)
        #expect(first != nil && second == nil)
        budget.settle(first!, costUSD: nil, at: day0 + 1)  // canceled, or failed before an answer
        #expect(budget.reservedUSD == 0 && budget.spentUSD == 0)
        let again = budget.reserveCompletion(estimateUSD: 0.01, at: day0 + 2)
        #expect(again != nil)
    }

    @Test func theDearestProbeSeenRaisesALowEstimateAndMidnightDropsReservations() {
        var budget = ProbeBudget(limitUSD: 0.05, now: day0)
        budget.settle(budget.reserveCompletion(estimateUSD: 0, at: day0)!, costUSD: 0.02, at: day0)
        let raised = budget.reserveCompletion(estimateUSD: 0.001, at: day0 + 1)
        #expect(raised?.usd == 0.02)
        let refused = budget.reserveCompletion(estimateUSD: 0.001, at: day0 + 1)
        #expect(refused == nil, "0.02 spent + 0.02 reserved + 0.02 > 0.05")
        // A reservation taken before midnight frees nothing of the new day's (empty) reservations.
        budget.settle(raised!, costUSD: 0.02, at: day0 + 86_400)
        #expect(budget.reservedUSD == 0 && abs(budget.spentUSD - 0.02) < 1e-12)
        var unlimited = ProbeBudget(limitUSD: nil, now: day0)
        let free = unlimited.reserveCompletion(estimateUSD: 1000, at: day0)
        #expect(free != nil)
    }

    @Test func restoredSpendCountsOnlyForToday() {
        var budget = ProbeBudget(limitUSD: 0.05, now: day0 + 3600)
        budget.restore(spentUSD: 0.04, on: day0 + -10, now: day0 + 3600)
        #expect(budget.spentUSD == 0, "yesterday's spend does not count")
        budget.restore(spentUSD: 0.04, on: day0 + 60, now: day0 + 3600)
        budget.record(costUSD: 0.01, at: day0 + 3700)
        #expect(abs(budget.spentUSD - 0.05) < 1e-12)
        #expect(budget.largestProbeUSD == 0.01, "a restored total is not one probe's price")
        let allowed = budget.allowsCompletion(at: day0 + 3800)
        #expect(!allowed)
    }
}
