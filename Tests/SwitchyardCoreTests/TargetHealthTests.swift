import SwitchyardCore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

private func observation(_ outcome: Outcome, at seconds: Double, retryAt: Timestamp? = nil) -> Observation {
    Observation(target: target, source: .probe, startedAt: t0 + seconds, outcome: outcome, totalSeconds: 0, retryAt: retryAt)
}

@Suite struct TargetHealthTests {
    let policy = HealthPolicy()

    @Test func firstSuccessMakesHealthy() {
        var health = TargetHealth(since: t0)
        let transition = health.observe(observation(.ok, at: 1), policy: policy)
        #expect(transition?.from == .unknown)
        #expect(transition?.to == .healthy)
        #expect(health.state == .healthy)
    }

    @Test func threeConsecutiveFailuresEject() throws {
        var health = TargetHealth(since: t0)
        _ = health.observe(observation(.ok, at: 0), policy: policy)
        #expect(health.observe(observation(.failure(.timeout), at: 1), policy: policy)?.to == .degraded)
        #expect(health.observe(observation(.failure(.timeout), at: 2), policy: policy) == nil)
        let transition = health.observe(observation(.failure(.timeout), at: 3), policy: policy)
        let ejection = try #require(transition)
        #expect(ejection.to == .ejected)
        #expect(ejection.reason == "ejected for 30s after 3 consecutive failures (last: timeout)")
        #expect(health.ejectedUntil == t0 + 33)
    }

    @Test func successDuringEjectionDoesNotCloseTheCircuitEarly() {
        var health = TargetHealth(since: t0)
        for second in 1...3 { _ = health.observe(observation(.failure(.serverError), at: Double(second)), policy: policy) }
        #expect(health.observe(observation(.ok, at: 10), policy: policy) == nil)
        #expect(health.observe(observation(.ok, at: 11), policy: policy) == nil)
        #expect(health.state == .ejected)
    }

    @Test func halfOpenSuccessesRecover() {
        var health = TargetHealth(since: t0)
        for second in 1...3 { _ = health.observe(observation(.failure(.serverError), at: Double(second)), policy: policy) }
        #expect(health.observe(observation(.ok, at: 34), policy: policy) == nil)
        let recovery = health.observe(observation(.ok, at: 35), policy: policy)
        #expect(recovery?.to == .healthy)
        #expect(recovery?.reason == "recovered after 2 half-open successes")
    }

    @Test func failureWhileEjectedExtendsAndEjectionsGrow() {
        var health = TargetHealth(since: t0)
        for second in 1...3 { _ = health.observe(observation(.failure(.serverError), at: Double(second)), policy: policy) }
        _ = health.observe(observation(.failure(.serverError), at: 40), policy: policy)  // failed half-open probe
        #expect(health.ejectedUntil == t0 + 70)
        _ = health.observe(observation(.ok, at: 71), policy: policy)
        _ = health.observe(observation(.ok, at: 72), policy: policy)
        #expect(health.state == .healthy)
        for second in 73...75 { _ = health.observe(observation(.failure(.connectRefused), at: Double(second)), policy: policy) }
        #expect(health.ejectionCount == 2)
        #expect(health.ejectedUntil == t0 + 75 + 60)
    }

    @Test func timeInRotationWearsTheEjectionCountDown() {
        var health = TargetHealth(since: t0)
        func fail(_ seconds: ClosedRange<Int>) { for second in seconds { _ = health.observe(observation(.failure(.serverError), at: Double(second)), policy: policy) } }
        func recover(at second: Double) {
            _ = health.observe(observation(.ok, at: second), policy: policy)
            _ = health.observe(observation(.ok, at: second + 1), policy: policy)
        }
        fail(1...3)
        recover(at: 34)
        #expect(health.state == .healthy && health.returnedAt == t0 + 35)
        // Back again at once: the second ejection in a row lasts 60 s.
        fail(40...42)
        #expect(health.ejectionCount == 2 && health.ejectedUntil == t0 + 102)
        recover(at: 103)
        // 47 s in rotation (one whole base time of 30 s): the third ejection counts as the second.
        fail(149...151)
        #expect(health.ejectionCount == 2 && health.ejectedUntil == t0 + 211)
        recover(at: 212)
        // 95 s in rotation forgive more than there is: the count starts over at 1 (30 s).
        fail(306...308)
        #expect(health.ejectionCount == 1 && health.ejectedUntil == t0 + 338)
        #expect(health.returnedAt == nil)
    }

    @Test func aTargetThatFailsOnAPeriodKeepsComingBack() {
        // Down 30 s of every 90 s (the demo's sim-flaky), probed every 5 s: it must return after
        // every outage, not stay out once its ejections have grown to the period's length.
        var health = TargetHealth(since: t0)
        var returns = 0
        var now = 0.0
        while now < 1800 {
            let down = now.truncatingRemainder(dividingBy: 90) < 30
            let transition = health.observe(observation(down ? .failure(.serverError) : .ok, at: now), policy: policy)
            if transition?.from == .ejected { returns += 1 }
            now = health.nextProbe(after: t0 + now, interval: 5, policy: policy) - t0
        }
        #expect(returns >= 19, "back after \(returns) of 20 outages; ejections in a row: \(health.ejectionCount)")
    }

    @Test func aFailedHalfOpenProbeWaitsTheBaseTimeNotTheGrownOne() {
        var health = TargetHealth(since: t0)
        func fail(_ seconds: ClosedRange<Int>) { for second in seconds { _ = health.observe(observation(.failure(.serverError), at: Double(second)), policy: policy) } }
        fail(1...3)
        _ = health.observe(observation(.ok, at: 34), policy: policy)
        _ = health.observe(observation(.ok, at: 35), policy: policy)
        fail(40...42)
        #expect(health.ejectionCount == 2 && health.ejectedUntil == t0 + 102)
        fail(102...102)  // the half-open probe fails: looked at again 30 s later, not 60
        #expect(health.ejectedUntil == t0 + 132)
        #expect(health.nextProbe(after: t0 + 102, interval: 10, policy: policy) == t0 + 132)
    }

    @Test func aPeriodicOutageThatMeetsAGrownEjectionStillEndsIt() {
        // Outages of 30 s every 90 s from 110 on, and a target whose third ejection in a row
        // (90 s) starts with one: its ejection ends just as the next outage begins. Were a failed
        // half-open probe to wait the grown 90 s, every probe would land in the next outage.
        var health = TargetHealth(since: t0)
        func observe(_ outcome: Outcome, at seconds: Double) -> Transition? { health.observe(observation(outcome, at: seconds), policy: policy) }
        for (failures, back) in [(1...3, 33.0), (40...42, 102.0)] {
            for second in failures { _ = observe(.failure(.serverError), at: Double(second)) }
            _ = observe(.ok, at: back)
            _ = observe(.ok, at: back + 1)
        }
        var now = 110.0
        var back: Double?
        while now < 1000, back == nil {
            let down = (now - 110).truncatingRemainder(dividingBy: 90) < 30
            if observe(down ? .failure(.serverError) : .ok, at: now)?.to == .healthy { back = now }
            if now < 120 { #expect(health.state != .ejected || health.ejectionCount == 3) }
            now = health.nextProbe(after: t0 + now, interval: 5, policy: policy) - t0
        }
        #expect(health.ejectionCount == 3)
        #expect(back.map { $0 < 240 } == true, "back at \(back.map { "\($0) s" } ?? "no time before 1000 s")")
    }

    @Test func ejectionTimeIsCapped() {
        #expect(HealthPolicy().ejectionSeconds(forCount: 100) == 300)
    }

    @Test func rateLimitHonoursRetryAfterAndSuccessEndsIt() {
        var health = TargetHealth(since: t0)
        let transition = health.observe(observation(.failure(.rateLimited), at: 5, retryAt: t0 + 65), policy: policy)
        #expect(transition?.to == .rateLimited)
        #expect(health.retryAt == t0 + 65)
        #expect(health.expectedRecovery == t0 + 65)
        #expect(health.observe(observation(.ok, at: 70), policy: policy)?.to == .healthy)
    }

    @Test func canceledProbesSayNothingAboutHealth() {
        var health = TargetHealth(since: t0)
        for second in 1...5 { #expect(health.observe(observation(.failure(.canceled), at: Double(second)), policy: policy) == nil) }
        #expect(health.state == .unknown)
    }

    @Test func drainHoldsUntilUndrainAndRestoresTheState() {
        var health = TargetHealth(since: t0)
        _ = health.observe(observation(.ok, at: 1), policy: policy)
        #expect(health.drain(target: target, at: t0 + 2, by: "uid 0")?.to == .draining)
        for second in 3...6 { _ = health.observe(observation(.ok, at: Double(second)), policy: policy) }
        #expect(health.state == .draining)
        let undrain = health.undrain(target: target, at: t0 + 7, by: "uid 0")
        #expect(undrain?.to == .healthy)
        #expect(undrain?.reason == "undrained by uid 0")
    }

    @Test func failuresWhileDrainedAreNotForgotten() {
        var health = TargetHealth(since: t0)
        _ = health.observe(observation(.ok, at: 1), policy: policy)
        _ = health.drain(target: target, at: t0 + 2, by: "uid 0")
        for second in 3...6 { _ = health.observe(observation(.failure(.timeout), at: Double(second)), policy: policy) }
        #expect(health.state == .draining)
        #expect(health.undrain(target: target, at: t0 + 7, by: "uid 0")?.to == .degraded)
    }
}

@Suite struct FailureRatioAndSchedulingTests {
    let policy = HealthPolicy()

    @Test func aHighDecayedFailureRateEjectsWithoutConsecutiveFailures() {
        var health = TargetHealth(since: t0)
        var transitions: [Transition] = []
        // Real traffic alternating ok/fail at 10 per second: never 3 failures in a row.
        for index in 0..<40 {
            let outcome: Outcome = index % 2 == 0 ? .ok : .failure(.serverError)
            if let t = health.observe(observation(outcome, at: Double(index) * 0.1), policy: policy, weight: 2) { transitions.append(t) }
            if health.state == .ejected { break }
        }
        #expect(health.state == .ejected)
        #expect(transitions.last?.reason.hasPrefix("ejected for 30s after a 50% failure rate over") == true)
    }

    @Test func probesAloneDoNotReachTheRatioVolume() {
        var health = TargetHealth(since: t0)
        for index in 0..<100 {
            let outcome: Outcome = index % 2 == 0 ? .ok : .failure(.timeout)
            _ = health.observe(observation(outcome, at: Double(index) * 15), policy: policy)
        }
        #expect(health.state != .ejected)
    }

    @Test func nextProbeConfirmsFailuresQuicklyAndWaitsOutEjections() {
        var health = TargetHealth(since: t0)
        #expect(health.nextProbe(after: t0, interval: 10, policy: policy) == t0 + 10)
        _ = health.observe(observation(.failure(.timeout), at: 1), policy: policy)
        #expect(health.nextProbe(after: t0 + 1, interval: 10, policy: policy) == t0 + 3.5)
        _ = health.observe(observation(.failure(.timeout), at: 3.5), policy: policy)
        _ = health.observe(observation(.failure(.timeout), at: 6), policy: policy)
        #expect(health.state == .ejected)
        #expect(health.nextProbe(after: t0 + 6, interval: 10, policy: policy) == t0 + 36)
        _ = health.observe(observation(.failure(.rateLimited), at: 40, retryAt: t0 + 100), policy: policy)
        #expect(health.state == .ejected)  // a rate limit while ejected extends the ejection to Retry-After
        #expect(health.ejectedUntil == t0 + 100)
    }

    @Test func rateLimitedTargetsAreProbedAtRetryAfter() {
        var health = TargetHealth(since: t0)
        _ = health.observe(observation(.failure(.rateLimited), at: 1, retryAt: t0 + 61), policy: policy)
        #expect(health.nextProbe(after: t0 + 1, interval: 10, policy: policy) == t0 + 61)
    }
}

@Suite struct ProbeSpacingTests {
    let policy = HealthPolicy()

    @Test func retryAfterZeroDoesNotLoop() {
        var health = TargetHealth(since: t0)
        _ = health.observe(observation(.failure(.rateLimited), at: 1, retryAt: t0 + 1), policy: policy)
        #expect(health.nextProbe(after: t0 + 1, interval: 10, policy: policy) == t0 + 3.5)
        #expect(health.nextProbe(after: t0 + 1, interval: 2, policy: policy) == t0 + 2)  // at least a second
    }

    @Test func halfOpenConfirmationWaitsAQuarterInterval() {
        var health = TargetHealth(since: t0)
        for second in 1...3 { _ = health.observe(observation(.failure(.timeout), at: Double(second)), policy: policy) }
        #expect(health.nextProbe(after: t0 + 3, interval: 10, policy: policy) == t0 + 33)
        _ = health.observe(observation(.ok, at: 33), policy: policy)
        #expect(health.state == .ejected)
        #expect(health.nextProbe(after: t0 + 33, interval: 10, policy: policy) == t0 + 35.5)
    }
}
