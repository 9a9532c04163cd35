import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import Testing

private func target(_ model: String, interval: Double = 10, provider: String = "p") -> ProbeTarget {
    var settings = ProbeSettings()
    settings.intervalSeconds = interval
    return ProbeTarget(target: Target(provider: ProviderID(provider), model: ModelName(model)), kind: .openai,
                       baseURL: "http://127.0.0.1:9/v1", upstreamModel: model, apiKey: nil, settings: settings, price: nil)
}

/// First probes at fixed offsets by model name, so every instant below is known.
private let offsets: [String: Duration] = ["a": .seconds(1), "b": .seconds(2), "c": .seconds(3), "d": .seconds(4)]
private func firstDelay(_ target: ProbeTarget) -> Duration { offsets[target.target.model.rawValue] ?? .seconds(5) }

/// A stand-in for a probe in flight: runs until canceled.
private func probeTask() -> Task<Void, Never> {
    Task { try? await Task.sleep(for: .seconds(3600)) }
}

/// Records what `launchDue` started.
private struct Launches {
    var started: [ProbeRoster.Due] = []
    var tasks: [Target: Task<Void, Never>] = [:]

    mutating func launch(_ due: ProbeRoster.Due) -> Task<Void, Never> {
        started.append(due)
        let task = probeTask()
        tasks[due.target.target] = task
        return task
    }

    var models: [String] { started.map(\.target.target.model.rawValue) }
}

/// The scheduler's queue and roster as values: instants are passed in, nothing sleeps.
@Suite(.timeLimit(.minutes(5))) struct ProbeRosterTests {
    let t0 = ContinuousClock.now

    @Test func theQueueReturnsEntriesInDueOrder() {
        var queue = ProbeQueue<Int>()
        let dues = [7, 3, 9, 1, 3, 8, 2, 6, 5, 4]
        for (index, due) in dues.enumerated() {
            queue.insert(.init(floor: due, target: Target(provider: ProviderID("p"), model: ModelName("m\(index)")), generation: index))
        }
        #expect(queue.earliest?.floor == 1)
        var order: [Int] = []
        while let entry = queue.removeEarliest() { order.append(entry.floor) }
        #expect(order == dues.sorted())
        #expect(queue.earliest == nil)
    }

    @Test func theLeewayIsAHundredthOfTheShortestIntervalAtMost50ms() {
        #expect(ProbeRoster.leeway(for: [target("a", interval: 10), target("b", interval: 0.5)]) == .milliseconds(5))
        #expect(ProbeRoster.leeway(for: [target("a", interval: 4)]) == .milliseconds(40))
        #expect(ProbeRoster.leeway(for: [target("a", interval: 15)]) == .milliseconds(50))
        #expect(ProbeRoster.leeway(for: []) == .zero)
    }

    @Test func startQueuesEveryTargetAndLaunchesThemWhenDue() {
        let ledger = ScheduleLedger(grace: .zero)
        var roster = ProbeRoster(targets: [target("a"), target("b"), target("c")], ledger: ledger)
        let started = roster.start(at: t0, firstDelay: firstDelay)
        #expect(started)
        var launches = Launches()
        let next = roster.launchDue(at: t0, { launches.launch($0) })
        #expect(next == t0 + .seconds(1) + roster.leeway, "the loop wakes at the end of the first window")
        #expect(launches.started.isEmpty)
        let after = roster.launchDue(at: t0 + .milliseconds(2500), { launches.launch($0) })
        #expect(after == t0 + .seconds(3) + roster.leeway)
        #expect(launches.models == ["a", "b"])
        #expect(launches.started.map(\.planned) == [t0 + .seconds(1) + roster.leeway, t0 + .seconds(2) + roster.leeway])
        // Each was promised by its due time; "a" and "b" were launched (here nothing promises more), "c" is not due yet.
        #expect(ledger.overdue(at: t0 + .milliseconds(2500)).map(\.model.rawValue) == ["a", "b"])
        launches.tasks.values.forEach { $0.cancel() }
    }

    @Test func probeSoonMovesAQueuedProbeToNowOnceAndLeavesOneInFlightAlone() throws {
        var roster = ProbeRoster(targets: [target("a"), target("b")], ledger: ScheduleLedger())
        #expect(roster.probeSoon(Target(provider: ProviderID("p"), model: ModelName("a")), at: t0) == nil, "not started yet")
        _ = roster.start(at: t0, firstDelay: firstDelay)
        var launches = Launches()
        // "b" is due at t0+2s; asked at t0+0.5s it is due at once, and only once.
        let b = Target(provider: ProviderID("p"), model: ModelName("b"))
        #expect(roster.probeSoon(b, at: t0 + .milliseconds(500)) == t0 + .milliseconds(500) + roster.leeway)
        let next = roster.launchDue(at: t0 + .milliseconds(500), { launches.launch($0) })
        #expect(launches.models == ["b"])
        #expect(next == t0 + .seconds(1) + roster.leeway, "only a's entry is left; b's old one went stale")
        _ = roster.launchDue(at: t0 + .seconds(3), { launches.launch($0) })
        #expect(launches.models == ["b", "a"], "b's planned probe at 2s did not run a second time")
        // In flight: its answer is as fresh as a new probe's, so nothing is queued.
        #expect(roster.probeSoon(b, at: t0 + .seconds(3)) == nil)
        launches.tasks.values.forEach { $0.cancel() }
    }

    @Test func aSecondProbeAskedForOutOfTurnKeepsAOneSecondGap() throws {
        var roster = ProbeRoster(targets: [target("b")], ledger: ScheduleLedger())
        _ = roster.start(at: t0, firstDelay: firstDelay)
        var launches = Launches()
        let b = Target(provider: ProviderID("p"), model: ModelName("b"))
        _ = roster.probeSoon(b, at: t0 + .milliseconds(500))
        _ = roster.launchDue(at: t0 + .milliseconds(500), { launches.launch($0) })
        let first = try #require(launches.started.first)
        _ = roster.finished(b, generation: first.generation) { _ in t0 + .seconds(60) }
        #expect(roster.probeSoon(b, at: t0 + .milliseconds(800)) == t0 + .milliseconds(1500) + roster.leeway)
        #expect(roster.probeSoon(b, at: t0 + .milliseconds(900)) == nil, "already queued by then")
        _ = roster.launchDue(at: t0 + .milliseconds(1400), { launches.launch($0) })
        #expect(launches.started.count == 1)
        _ = roster.launchDue(at: t0 + .milliseconds(1500), { launches.launch($0) })
        #expect(launches.started.count == 2)
        // Unknown targets are ignored.
        #expect(roster.probeSoon(Target(provider: ProviderID("p"), model: ModelName("zzz")), at: t0) == nil)
        launches.tasks.values.forEach { $0.cancel() }
    }

    @Test func aFinishedProbeQueuesTheNextAndKeepsTheBackoff() throws {
        var roster = ProbeRoster(targets: [target("a")], ledger: ScheduleLedger())
        _ = roster.start(at: t0, firstDelay: firstDelay)
        var launches = Launches()
        _ = roster.launchDue(at: t0 + .seconds(1), { launches.launch($0) })
        let first = try #require(launches.started.first)
        var delays: [Double] = []
        let next = roster.finished(first.target.target, generation: first.generation) { backoff in
            delays.append(backoff.delay(after: .failure(.connectRefused), retryAfterSeconds: nil, jitter: 1))
            return t0 + .seconds(11)
        }
        #expect(next == t0 + .seconds(11) + roster.leeway, "queued a leeway after the floor `next` answered")
        // Not due again before its time, then due once.
        let early = roster.launchDue(at: t0 + .seconds(10), { launches.launch($0) })
        #expect(early == t0 + .seconds(11) + roster.leeway)
        let due = roster.launchDue(at: t0 + .seconds(11), { launches.launch($0) })
        #expect(due == nil)
        #expect(launches.models == ["a", "a"])
        let second = launches.started[1]
        _ = roster.finished(second.target.target, generation: second.generation) { backoff in
            delays.append(backoff.delay(after: .failure(.connectRefused), retryAfterSeconds: nil, jitter: 1))
            return t0 + .seconds(40)
        }
        #expect(delays == [10, 20], "the backoff lives on between probes")
        launches.tasks.values.forEach { $0.cancel() }
    }

    /// Probes close together start together, but none before the floor it was given (a
    /// half-open time, a Retry-After): the leeway only ever lets a probe start early relative
    /// to its due time, which is the floor plus the leeway.
    @Test func probesWithinTheLeewayStartTogetherAndNeverBeforeTheirFloor() throws {
        var roster = ProbeRoster(targets: [target("a"), target("b")], ledger: ScheduleLedger())
        #expect(roster.leeway == .milliseconds(50))
        _ = roster.start(at: t0, firstDelay: { _ in .seconds(1) })
        var launches = Launches()
        _ = roster.launchDue(at: t0 + .seconds(1), { launches.launch($0) })
        let a = try #require(launches.started.first { $0.target.target.model.rawValue == "a" })
        let b = try #require(launches.started.first { $0.target.target.model.rawValue == "b" })
        // "a" may not come back before t0 + 30 s (its ejection ends), "b" is due 20 ms later.
        _ = roster.finished(a.target.target, generation: a.generation) { _ in t0 + .seconds(30) }
        _ = roster.finished(b.target.target, generation: b.generation) { _ in t0 + .milliseconds(30_020) }
        let justBefore = roster.launchDue(at: t0 + .seconds(30) - .nanoseconds(1), { launches.launch($0) })
        #expect(launches.started.count == 2, "nothing starts before its floor")
        let alarm = try #require(justBefore)
        #expect(alarm == t0 + .milliseconds(30_050))
        // When the loop wakes for "a", "b" starts with it: 20 ms before its due time, after its floor.
        let afterAlarm = roster.launchDue(at: alarm, { launches.launch($0) })
        #expect(afterAlarm == nil)
        #expect(launches.models.dropFirst(2) == ["a", "b"])
        #expect(launches.started[2...].map(\.planned) == [t0 + .milliseconds(30_050), t0 + .milliseconds(30_070)])
        launches.tasks.values.forEach { $0.cancel() }
    }

    /// The leeway follows the shortest interval, so a reload can widen it; a probe already queued
    /// still does not start before its floor.
    @Test func aReloadThatWidensTheLeewayMovesNoFloor() throws {
        var roster = ProbeRoster(targets: [target("a", interval: 0.5), target("b")], ledger: ScheduleLedger())
        #expect(roster.leeway == .milliseconds(5))
        _ = roster.start(at: t0, firstDelay: { _ in .milliseconds(100) })
        var launches = Launches()
        _ = roster.launchDue(at: t0 + .milliseconds(100), { launches.launch($0) })
        let b = try #require(launches.started.first { $0.target.target.model.rawValue == "b" })
        _ = roster.finished(b.target.target, generation: b.generation) { _ in t0 + .seconds(30) }
        _ = roster.reconfigure([target("b")], at: t0 + .seconds(1), firstDelay: firstDelay)
        #expect(roster.leeway == .milliseconds(50))
        launches.tasks.values.forEach { $0.cancel() }
        launches = Launches()
        let wake = roster.launchDue(at: t0 + .seconds(30) - .nanoseconds(1), { launches.launch($0) })
        #expect(launches.started.isEmpty)
        #expect(wake == t0 + .milliseconds(30_050))
        _ = roster.launchDue(at: t0 + .seconds(30), { launches.launch($0) })
        #expect(launches.models == ["b"])
        launches.tasks.values.forEach { $0.cancel() }
    }

    @Test func aReloadKeepsUnchangedCadenceRestartsChangedAndStopsRemoved() throws {
        let ledger = ScheduleLedger(grace: .zero)
        var roster = ProbeRoster(targets: [target("a"), target("b"), target("c")], ledger: ledger)
        _ = roster.start(at: t0, firstDelay: firstDelay)
        var launches = Launches()
        _ = roster.launchDue(at: t0 + .seconds(1), { launches.launch($0) })  // "a" in flight
        let inFlight = try #require(launches.tasks[target("a").target])

        // At t0 + 1.5 s: "a" changes interval, "b" stays, "c" goes, "d" comes.
        let change = roster.reconfigure([target("a", interval: 20), target("b"), target("d")], at: t0 + .milliseconds(1500), firstDelay: firstDelay)
        #expect(change.added == [target("d").target])
        #expect(change.removed == [target("c").target])
        #expect(change.changed == [target("a").target])
        #expect(change.unchanged == [target("b").target])
        #expect(inFlight.isCancelled, "the changed target's probe in flight is canceled")
        let stale = roster.finished(target("a").target, generation: launches.started[0].generation) { _ in t0 }
        #expect(stale == nil, "the old generation's result queues nothing")

        // "b" keeps its 2 s; "a" restarts 1 s after the reload; "c" never comes back; "d" 4 s after the reload.
        launches.tasks.values.forEach { $0.cancel() }
        launches = Launches()
        _ = roster.launchDue(at: t0 + .seconds(2), { launches.launch($0) })
        #expect(launches.models == ["b"])
        _ = roster.launchDue(at: t0 + .seconds(3), { launches.launch($0) })
        #expect(launches.models == ["b", "a"])
        #expect(launches.started[1].target.settings.intervalSeconds == 20)
        let beforeD = roster.launchDue(at: t0 + .seconds(5), { launches.launch($0) })
        #expect(beforeD == t0 + .milliseconds(5500) + roster.leeway)
        #expect(launches.models == ["b", "a"])
        let afterD = roster.launchDue(at: t0 + .milliseconds(5500), { launches.launch($0) })
        #expect(afterD == nil)
        #expect(launches.models == ["b", "a", "d"])
        #expect(!ledger.overdue(at: t0 + .seconds(100)).contains(target("c").target), "a removed target owes nothing")
        launches.tasks.values.forEach { $0.cancel() }
    }

    @Test func stopHandsOverEveryProbeInFlightIncludingRetiredOnes() {
        var roster = ProbeRoster(targets: [target("a"), target("b")], ledger: ScheduleLedger())
        _ = roster.start(at: t0, firstDelay: firstDelay)
        var launches = Launches()
        _ = roster.launchDue(at: t0 + .seconds(2), { launches.launch($0) })
        _ = roster.reconfigure([target("b")], at: t0 + .seconds(2), firstDelay: firstDelay)  // "a" retired while in flight
        let probes = roster.stop()
        #expect(Set(probes) == Set(launches.tasks.values))
        let b = launches.started.first { $0.target.target.model.rawValue == "b" }!
        let afterStop = roster.finished(b.target.target, generation: b.generation) { _ in t0 }
        #expect(afterStop == nil, "nothing is queued after stop")
        probes.forEach { $0.cancel() }
    }
}
