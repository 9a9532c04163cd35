import SwitchyardCore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

private func probe(_ outcome: Outcome, at seconds: Double) -> Observation {
    Observation(target: target, source: .probe, startedAt: t0 + seconds, outcome: outcome, totalSeconds: 0)
}

private func report(_ outcome: Outcome, at seconds: Double, by caller: String) -> Observation {
    var observation = Observation(target: target, source: .report, startedAt: t0 + seconds, outcome: outcome, totalSeconds: 0)
    observation.reporter = caller
    return observation
}

private let descriptor = TargetDescriptor(target: target, upstreamModel: "m", baseURL: "http://127.0.0.1:9/v1", price: nil, preferenceOrder: 0)

/// One caller's reports cannot move a target alone: exact, with instants, through the health book.
@Suite struct ReportCorroborationTests {
    func book() -> HealthBook {
        let book = HealthBook(descriptors: [descriptor], now: t0)
        book.observe(probe(.ok, at: 0))
        return book
    }

    func state(_ book: HealthBook) -> TargetState { book.snapshots()[0].health.state }

    @Test func threeFailureReportsFromOneClientWaitForAConfirmingProbeAskedForAtOnce() {
        let book = book()
        let first = book.apply(report(.failure(.serverError), at: 1, by: "batch-jobs"))
        #expect(first == HealthUpdate(transitions: [], probeNow: true))
        #expect(book.apply(report(.failure(.serverError), at: 1.1, by: "batch-jobs")) == HealthUpdate())
        #expect(book.apply(report(.failure(.serverError), at: 1.2, by: "batch-jobs")) == HealthUpdate(), "one probe asked for, not three")
        #expect(state(book) == .healthy)
        #expect(book.snapshots()[0].health.consecutiveFailures == 0)

        // The probe fails: the held reports count, before it, and the transitions name the client.
        let confirmed = book.apply(probe(.failure(.serverError), at: 1.5))
        #expect(confirmed.transitions.map(\.to) == [.degraded, .ejected])
        #expect(confirmed.transitions.map(\.reason) == [
            "server_error failure; reported by batch-jobs, confirmed by a probe",
            "ejected for 30s after 3 consecutive failures (last: server_error); reported by batch-jobs, confirmed by a probe",
        ])
        #expect(confirmed.transitions.map(\.at) == [t0 + 1, t0 + 1.2])
        #expect(state(book) == .ejected)
        #expect(book.snapshots()[0].corroboration.held.isEmpty)
    }

    @Test func aSuccessfulConfirmingProbeDropsOneClientsFailureReports() {
        let book = book()
        for index in 0..<5 { _ = book.apply(report(.failure(.timeout), at: 1 + Double(index) * 0.1, by: "uid:1000")) }
        #expect(book.snapshots()[0].corroboration.held.count == 5)
        #expect(book.apply(probe(.ok, at: 2)) == HealthUpdate())
        #expect(state(book) == .healthy)
        #expect(book.snapshots()[0].health.consecutiveFailures == 0)
        #expect(book.snapshots()[0].corroboration.held.isEmpty)
        // The next failure report asks for a probe again.
        #expect(book.apply(report(.failure(.timeout), at: 3, by: "uid:1000")).probeNow)
    }

    @Test func aSecondCallerConfirmsAndBothAreNamed() {
        let book = book()
        #expect(book.apply(report(.failure(.serverError), at: 1, by: "batch-jobs")).probeNow)
        let second = book.apply(report(.failure(.serverError), at: 2, by: "notebook"))
        #expect(second.transitions.map(\.reason) == ["server_error failure; reported by batch-jobs, notebook"])
        #expect(state(book) == .degraded)
        // The same client again is not a second opinion, and a third failure would eject: held.
        #expect(book.apply(report(.failure(.serverError), at: 3, by: "notebook")) == HealthUpdate())
        #expect(state(book) == .degraded)
    }

    @Test func failureReportsThatAgreeWithAFailedProbePassAtOnceAndAreNamed() {
        let book = book()
        #expect(book.apply(probe(.failure(.timeout), at: 1)).transitions.map(\.to) == [.degraded])
        #expect(book.apply(report(.failure(.timeout), at: 2, by: "batch-jobs")) == HealthUpdate())
        let ejected = book.apply(report(.failure(.timeout), at: 3, by: "batch-jobs"))
        #expect(ejected.transitions.map(\.reason) == ["ejected for 30s after 3 consecutive failures (last: timeout); reported by batch-jobs"])
    }

    @Test func oneClientsSuccessReportsCannotKeepUpATargetWhoseProbesFail() {
        let book = book()
        // Probes fail at 10 s steps; a client reports success in between, every second.
        var transitions: [Transition] = []
        for step in 0..<3 {
            let at = 10 * Double(step + 1)
            transitions += book.apply(probe(.failure(.serverError), at: at)).transitions
            for second in 1...5 { transitions += book.apply(report(.ok, at: at + Double(second), by: "batch-jobs")).transitions }
        }
        #expect(transitions.map(\.to) == [.degraded, .ejected])
        #expect(state(book) == .ejected)
        // A successful probe releases the held successes (from inside the ejection: they do not count),
        // and the target recovers as usual once half-open probes succeed.
        #expect(book.apply(probe(.ok, at: 80)) == HealthUpdate())
        #expect(book.snapshots()[0].corroboration.held.isEmpty)
        #expect(book.apply(probe(.ok, at: 81)).transitions.map(\.reason) == ["recovered after 2 half-open successes"])
    }

    @Test func withoutTheCapTheSameSuccessReportsWouldHaveKeptItUp() {
        // The state machine alone (what a report did before): successes reset the failure count.
        var health = TargetHealth(since: t0)
        _ = health.observe(probe(.ok, at: 0), policy: HealthPolicy())
        for step in 0..<3 {
            let at = 10 * Double(step + 1)
            _ = health.observe(probe(.failure(.serverError), at: at), policy: HealthPolicy())
            _ = health.observe(report(.ok, at: at + 1, by: "batch-jobs"), policy: HealthPolicy(), weight: 2)
        }
        #expect(health.state != .ejected)
    }

    @Test func heldReportsAreBounded() {
        let book = book()
        for index in 0..<(ReportCorroboration.maxHeld + 10) { _ = book.apply(report(.failure(.timeout), at: 1 + Double(index) * 0.01, by: "x")) }
        #expect(book.snapshots()[0].corroboration.held.count == ReportCorroboration.maxHeld)
        #expect(book.snapshots()[0].corroboration.held.first?.startedAt == t0 + 1 + 0.1)
    }

    /// Issue #21 (a helper saw `consecutive_failures` 3 with a successful request in between): a
    /// success that passes drops the failures held from before it, so a failing probe later does
    /// not release them after it, out of order.
    @Test func aSuccessInBetweenBreaksTheStreakOfHeldFailures() {
        let book = book()
        #expect(book.apply(report(.failure(.serverError), at: 1, by: "app")).probeNow)
        #expect(book.apply(report(.ok, at: 2, by: "app")) == HealthUpdate(), "agrees with the latest probe: applied")
        #expect(book.snapshots()[0].corroboration.held.isEmpty, "the failure before it is superseded")
        _ = book.apply(report(.failure(.serverError), at: 3, by: "app"))
        _ = book.apply(probe(.failure(.serverError), at: 4))
        #expect(book.snapshots()[0].health.consecutiveFailures == 2, "the failure at 3 and the probe; not the one before the success")
    }
}
