import SwitchyardCore
import Testing
@testable import SwitchyardFleet

/// The outbox: bounded, never waits, shares only this host's own chosen observations, wakes on failures.
@Suite(.timeLimit(.minutes(1))) struct FleetOutboxTests {
    let target = Target(provider: ProviderID("a"), model: ModelName("m"))

    func observation(_ outcome: Outcome, at second: Double = 0) -> Observation {
        Observation(target: target, source: .report, startedAt: Timestamp(secondsSinceEpoch: second), outcome: outcome, totalSeconds: 0.1)
    }

    @Test func aFullOutboxDropsTheOldestAndCountsThem() {
        let outbox = FleetOutbox(capacity: 3)
        for second in 0..<5 { outbox.record(observation(.ok, at: Double(second))) }
        #expect(outbox.counts.waiting == 3 && outbox.counts.dropped == 2)
        let (rows, dropped) = outbox.peek(limit: 2)
        #expect(rows.map(\.startedAt.secondsSinceEpoch) == [2, 3])
        // Two more arrive while those two are being published: the oldest two (those two) are dropped.
        outbox.record(observation(.ok, at: 5))
        outbox.record(observation(.ok, at: 6))
        outbox.remove(2, droppedBefore: dropped)
        #expect(outbox.peek(limit: 10).rows.map(\.startedAt.secondsSinceEpoch) == [4, 5, 6], "what is left is kept")
        #expect(outbox.counts.published == 2 && outbox.counts.dropped == 4)
    }

    @Test func peersObservationsAndUnchosenOnesAreNotShared() {
        let outbox = FleetOutbox { $0.source == .report }
        var remote = observation(.ok)
        remote.seenBy = "host-b"
        outbox.record(remote)
        outbox.record(Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 0), outcome: .ok, totalSeconds: 0.1))
        #expect(outbox.counts.waiting == 0)
        outbox.record(observation(.ok))
        #expect(outbox.counts.waiting == 1)
    }

    @Test func aFailureWakesThePublisherAtOnce() async {
        let outbox = FleetOutbox()
        let clock = ContinuousClock()
        let started = clock.now
        async let waited: Void = outbox.waitForFailure(orAfter: .seconds(30))
        outbox.record(observation(.ok))
        outbox.record(observation(.failure(.serverError)))
        await waited
        #expect(clock.now - started < .seconds(10), "a failure ends the wait, not the 30 s tick")
    }

    /// A shared probe result (one per target and interval) is what peers route on: it goes at once.
    @Test func aProbeResultWakesThePublisherAtOnce() async {
        let outbox = FleetOutbox()
        let clock = ContinuousClock()
        let started = clock.now
        async let waited: Void = outbox.waitForFailure(orAfter: .seconds(30))
        var probe = Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 0), outcome: .ok, totalSeconds: 0.1)
        probe.completionProbe = true
        outbox.record(probe)
        await waited
        #expect(clock.now - started < .seconds(10), "a probe result ends the wait, not the 30 s tick")
    }

    /// The daemon's rule (and the load driver's): a liveness probe, a lost slot's included, stays
    /// on the host; a completion probe the host ran and a client report are shared.
    @Test func theDaemonsRuleSharesReportsAndCompletionProbesOnly() {
        let outbox = FleetOutbox(shouldPublish: FleetOutbox.sharesReportsAndCompletionProbes)
        let liveness = Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 0), outcome: .ok, totalSeconds: 0.1)
        outbox.record(liveness)
        #expect(outbox.counts.waiting == 0)
        var completion = liveness
        completion.completionProbe = true
        outbox.record(completion)
        outbox.record(Observation(target: target, source: .report, startedAt: Timestamp(secondsSinceEpoch: 0), outcome: .ok, totalSeconds: 0.1))
        #expect(outbox.counts.waiting == 2)
    }
}
