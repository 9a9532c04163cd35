import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import Testing

private func target(_ model: String, interval: Double = 10, provider: String = "p", mode: ProbeMode = .liveness,
                    price: Price? = nil, budget: Double? = nil) -> ProbeTarget {
    var settings = ProbeSettings()
    settings.intervalSeconds = interval
    settings.mode = mode
    return ProbeTarget(target: Target(provider: ProviderID(provider), model: ModelName(model)), kind: .openai,
                       baseURL: "http://127.0.0.1:9/v1", upstreamModel: model, apiKey: nil, settings: settings, price: price,
                       budgetUSDPerDay: budget)
}

private typealias Instant = ContinuousClock.Instant
private typealias Plan = ProbePlan<Instant>
private let seed: UInt64 = 42
private let day = Timestamp(secondsSinceEpoch: 1_700_000_000)

/// The plan's random draws replayed from the same seed, so every instant below is exact.
private struct Draws {
    var random = SplitMix64(seed: seed)
    /// A first probe's offset within a spread of `seconds`.
    mutating func spread(_ seconds: Double) -> Duration { .seconds(Double.random(in: 0...seconds, using: &random)) }
    /// A next probe's delay: `seconds` stretched by up to 10 %.
    mutating func next(_ seconds: Double) -> Duration { .seconds(seconds * Double.random(in: 1.0...1.1, using: &random)) }
}

/// What a list of actions launched, asked to sleep until, and promised.
private extension Array {
    func launches<I: Comparable>() -> [ProbeLaunch<I>] where Element == ProbeAction<I> {
        // In window order; probes planned for one instant by model, so that ties are read in a fixed order.
        compactMap { if case .launch(let launch) = $0 { launch } else { nil } }.sorted { lhs, rhs in
            lhs.planned != rhs.planned ? lhs.planned < rhs.planned : lhs.target.target.model.rawValue < rhs.target.target.model.rawValue
        }
    }
    func sleeps<I>() -> [I] where Element == ProbeAction<I> {
        compactMap { if case .sleep(until: let instant) = $0 { instant } else { nil } }
    }
    func promises<I>() -> [Target: I] where Element == ProbeAction<I> {
        Dictionary(compactMap { if case .promise(let target, by: let instant) = $0 { (target, instant) } else { nil } }, uniquingKeysWith: { $1 })
    }
    func count<I>(_ kind: (ProbeAction<I>) -> Bool) -> Int where Element == ProbeAction<I> { filter(kind).count }
}

private func isWake(_ action: ProbeAction<Instant>) -> Bool { if case .wakeLoop = action { true } else { false } }
private func isFirstRound(_ action: ProbeAction<Instant>) -> Bool { if case .firstRoundDone = action { true } else { false } }
private func models(_ launches: [ProbeLaunch<Instant>]) -> [String] { launches.map(\.target.target.model.rawValue) }

/// The scheduling policy as a value: instants go in, actions come out, nothing sleeps.
@Suite(.timeLimit(.minutes(1))) struct ProbePlanTests {
    let t0 = ContinuousClock.now

    private func finished(_ launch: ProbeLaunch<Instant>, next: Double, delivered: Bool = true, cost: Double? = nil) -> FinishedProbe {
        FinishedProbe(target: launch.target.target, generation: launch.generation, reservation: launch.reservation, costUSD: cost,
                      delivered: delivered, nextInSeconds: next)
    }

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
        #expect(Plan.leeway(for: [target("a", interval: 10), target("b", interval: 0.5)]) == .milliseconds(5))
        #expect(Plan.leeway(for: [target("a", interval: 4)]) == .milliseconds(40))
        #expect(Plan.leeway(for: [target("a", interval: 15)]) == .milliseconds(50))
        #expect(Plan.leeway(for: []) == .zero)
    }

    /// First probes land within the start-up spread, in a seeded order; each starts when its
    /// window opens, and the plan asks to be stepped at the end of the earliest window still closed.
    @Test func startSpreadsTheFirstProbesAndLaunchesThemWhenDue() throws {
        var plan = Plan(targets: [target("a"), target("b"), target("c")], seed: seed, now: day)
        var draws = Draws()
        let floors = ["a", "b", "c"].map { ($0, t0 + draws.spread(10)) }
        let start = plan.start(at: t0)
        #expect(start.promises() == Dictionary(uniqueKeysWithValues: floors.map { (target($0.0).target, $0.1 + plan.leeway) }))
        let byTime = floors.sorted { $0.1 < $1.1 }
        let first = plan.step(now: t0, wallTime: day)
        #expect(first.launches().isEmpty)
        #expect(first.sleeps() == [byTime[0].1 + plan.leeway])
        // Stepped at the second floor: the first two start, planned at the ends of their windows.
        let second = plan.step(now: byTime[1].1, wallTime: day)
        #expect(models(second.launches()) == [byTime[0].0, byTime[1].0])
        #expect(second.launches().map(\.planned) == [byTime[0].1 + plan.leeway, byTime[1].1 + plan.leeway])
        #expect(second.sleeps() == [byTime[2].1 + plan.leeway])
        // A timer already set for that instant is not set twice.
        #expect(plan.step(now: byTime[1].1, wallTime: day).sleeps().isEmpty)
    }

    @Test func aFinishedProbeQueuesTheNextFromTheHealthBooksAnswerNeverEarlier() throws {
        var plan = Plan(targets: [target("a")], seed: seed, startSpreadSeconds: 0, now: day)
        var draws = Draws()
        _ = draws.spread(0)
        _ = plan.start(at: t0)
        let launch = try #require(plan.step(now: t0, wallTime: day).launches().first)
        #expect(launch.planned == t0 + plan.leeway)
        let end = t0 + .milliseconds(300)
        let done = plan.finished(finished(launch, next: 30), now: end, wallTime: day)
        let floor = end + draws.next(30)
        #expect(done.promises() == [launch.target.target: floor + plan.leeway])
        #expect(done.count(isWake) == 1, "no timer is set: the loop must step to set one")
        #expect(floor >= end + .seconds(30) && floor <= end + .seconds(33))
        let early = plan.step(now: floor - .nanoseconds(1), wallTime: day)
        #expect(early.launches().isEmpty, "nothing starts before its floor")
        #expect(early.sleeps() == [floor + plan.leeway])
        #expect(models(plan.step(now: floor, wallTime: day).launches()) == ["a"])
    }

    /// Probes close together start together, but none before the floor it was given.
    @Test func probesWithinTheLeewayStartTogetherAndNeverBeforeTheirFloor() throws {
        var plan = Plan(targets: [target("a"), target("b")], seed: seed, startSpreadSeconds: 0, now: day)
        #expect(plan.leeway == .milliseconds(50))
        var draws = Draws()
        _ = (draws.spread(0), draws.spread(0))
        _ = plan.start(at: t0)
        let launches = plan.step(now: t0, wallTime: day).launches()
        #expect(models(launches) == ["a", "b"])
        let end = t0 + .seconds(1)
        _ = plan.finished(finished(launches[0], next: 30), now: end, wallTime: day)
        _ = plan.finished(finished(launches[1], next: 30), now: end + .milliseconds(20), wallTime: day)
        let a = end + draws.next(30)
        let b = end + .milliseconds(20) + draws.next(30)
        let (first, second) = a < b ? (("a", a), ("b", b)) : (("b", b), ("a", a))
        let wake = try #require(plan.step(now: first.1 - .nanoseconds(1), wallTime: day).sleeps().first)
        #expect(wake == first.1 + plan.leeway)
        let together = plan.step(now: wake, wallTime: day).launches()
        if second.1 <= wake {
            #expect(models(together) == [first.0, second.0], "the later one starts with it, after its own floor")
        } else {
            #expect(models(together) == [first.0])
        }
    }

    @Test func probeSoonMovesAQueuedProbeToNowOnceAndQueuesAnotherAfterOneInFlight() throws {
        var plan = Plan(targets: [target("a"), target("b")], seed: seed, startSpreadSeconds: 0, now: day)
        let b = target("b").target
        #expect(plan.probeSoon(b, at: t0).isEmpty, "not started yet")
        _ = plan.start(at: t0)
        let launches = plan.step(now: t0, wallTime: day).launches()
        let end = t0 + .seconds(1)
        for launch in launches { _ = plan.finished(finished(launch, next: 10), now: end, wallTime: day) }
        // Asked for at end + 0.5 s: due at once (a second after its last start has passed), and only once.
        let soon = plan.probeSoon(b, at: end + .milliseconds(500))
        #expect(soon.promises() == [b: end + .milliseconds(500) + plan.leeway])
        #expect(soon.count(isWake) == 1)
        let started = plan.step(now: end + .milliseconds(500), wallTime: day).launches()
        #expect(models(started) == ["b"])
        // Asked again while that probe is in flight: it started before the question, so the
        // next comes as soon as it ends (a second after its start), not at its interval.
        #expect(plan.probeSoon(b, at: end + .milliseconds(600)).isEmpty)
        let bProbe = try #require(started.first)
        let again = plan.finished(finished(bProbe, next: 10), now: end + .milliseconds(700), wallTime: day)
        #expect(again.promises() == [b: end + .milliseconds(1500) + plan.leeway])
        #expect(models(plan.step(now: end + .milliseconds(1500), wallTime: day).launches()) == ["b"])
        let later = plan.step(now: end + .seconds(12), wallTime: day).launches()
        #expect(models(later) == ["a"], "b's old entry went stale")
        #expect(plan.probeSoon(Target(provider: ProviderID("p"), model: ModelName("zzz")), at: t0).isEmpty, "unknown targets are ignored")
    }

    @Test func aSecondProbeAskedForOutOfTurnKeepsAOneSecondGap() throws {
        var plan = Plan(targets: [target("b")], seed: seed, startSpreadSeconds: 0, now: day)
        let b = target("b").target
        _ = plan.start(at: t0)
        let first = try #require(plan.step(now: t0, wallTime: day).launches().first)
        _ = plan.finished(finished(first, next: 60), now: t0 + .milliseconds(100), wallTime: day)
        #expect(plan.probeSoon(b, at: t0 + .milliseconds(300)).promises() == [b: t0 + .seconds(1) + plan.leeway])
        #expect(plan.probeSoon(b, at: t0 + .milliseconds(400)).isEmpty, "already queued by then")
        #expect(plan.step(now: t0 + .milliseconds(999), wallTime: day).launches().isEmpty)
        #expect(plan.step(now: t0 + .seconds(1), wallTime: day).launches().count == 1)
    }

    @Test func aReloadKeepsUnchangedCadenceRestartsChangedAndStopsRemoved() throws {
        var plan = Plan(targets: [target("a"), target("b"), target("c")], seed: seed, startSpreadSeconds: 0, now: day)
        var draws = Draws()
        _ = (draws.spread(0), draws.spread(0), draws.spread(0))
        _ = plan.start(at: t0)
        let launches = plan.step(now: t0, wallTime: day).launches()
        let a = launches[0], b = launches[1], c = launches[2]
        _ = plan.finished(finished(b, next: 10), now: t0 + .seconds(1), wallTime: day)
        let bFloor = t0 + .seconds(1) + draws.next(10)
        _ = plan.finished(finished(c, next: 10), now: t0 + .seconds(1), wallTime: day)
        _ = draws.next(10)
        // At t0 + 2 s, "a" in flight: "a" changes interval, "b" stays, "c" goes, "d" comes.
        let reload = t0 + .seconds(2)
        let (change, actions) = plan.reconfigure([target("a", interval: 20), target("b"), target("d")], at: reload, wallTime: day)
        #expect(change.added == [target("d").target])
        #expect(change.removed == [target("c").target])
        #expect(change.changed == [target("a").target])
        #expect(change.unchanged == [target("b").target])
        #expect(actions.contains { if case .release(let t) = $0 { t == target("c").target } else { false } })
        #expect(actions.count(isWake) == 1)
        let aFloor = reload + draws.spread(0)
        let dFloor = reload + draws.spread(0)
        #expect(actions.promises() == [target("a").target: aFloor + plan.leeway, target("d").target: dFloor + plan.leeway])
        // The old generation of "a" ends as stale: not current, and it queues nothing.
        #expect(!plan.isCurrent(target("a").target, generation: a.generation))
        let stale = plan.finished(finished(a, next: 10, delivered: false), now: reload, wallTime: day)
        #expect(stale.promises() == [target("a").target: aFloor + plan.leeway], "the new generation's promise stands")
        #expect(stale.count(isWake) == 0)
        var started: [(String, Instant, Double)] = []
        for instant in [aFloor, bFloor, dFloor].sorted() {
            for launch in plan.step(now: instant, wallTime: day).launches() {
                started.append((launch.target.target.model.rawValue, instant, launch.target.settings.intervalSeconds))
            }
        }
        let expected = [("a", aFloor, 20.0), ("b", bFloor, 10.0), ("d", dFloor, 10.0)].sorted { $0.1 < $1.1 }
        #expect(started.map(\.0) == expected.map(\.0), "c never comes back")
        #expect(started.map(\.1) == expected.map(\.1))
        #expect(started.map(\.2) == expected.map(\.2))
    }

    /// The leeway follows the shortest interval, so a reload can widen it; a probe already queued
    /// still does not start before its floor.
    @Test func aReloadThatWidensTheLeewayMovesNoFloor() throws {
        var plan = Plan(targets: [target("a", interval: 0.5), target("b")], seed: seed, startSpreadSeconds: 0, now: day)
        #expect(plan.leeway == .milliseconds(5))
        var draws = Draws()
        _ = (draws.spread(0), draws.spread(0))
        _ = plan.start(at: t0)
        let b = try #require(plan.step(now: t0, wallTime: day).launches().first { $0.target.target.model.rawValue == "b" })
        _ = plan.finished(finished(b, next: 30), now: t0, wallTime: day)
        let floor = t0 + draws.next(30)
        let (_, actions) = plan.reconfigure([target("b")], at: t0 + .seconds(1), wallTime: day)
        #expect(plan.leeway == .milliseconds(50))
        #expect(actions.promises() == [b.target.target: floor + .milliseconds(50)], "the promise moves to the new window's end")
        let early = plan.step(now: floor - .nanoseconds(1), wallTime: day)
        #expect(early.launches().isEmpty)
        #expect(early.sleeps() == [floor + .milliseconds(50)])
        #expect(models(plan.step(now: floor, wallTime: day).launches()) == ["b"])
    }

    /// Eight completion probes of one provider due together: each reserves its estimate, so three
    /// fit in 0.035 USD at 0.01 each and the rest run as liveness probes; settling frees the room.
    @Test func theBudgetGateLowersProbesWithoutRoomToLiveness() throws {
        let paid = (0..<8).map { target("m\($0)", interval: 60, mode: .completion, price: Price(perRequest: 0.01), budget: 0.035) }
        var plan = Plan(targets: paid, seed: seed, startSpreadSeconds: 0, now: day)
        _ = plan.start(at: t0)
        let launches = plan.step(now: t0, wallTime: day).launches()
        #expect(launches.count == 8)
        #expect(launches.filter { $0.target.settings.mode == .completion }.count == 3)
        #expect(launches.filter { $0.reservation != nil }.count == 3)
        for launch in launches {
            _ = plan.finished(finished(launch, next: 60, cost: launch.reservation == nil ? nil : 0.01), now: t0 + .seconds(1), wallTime: day)
        }
        let status = try #require(plan.budgets.statuses(at: day).first)
        #expect(abs(status.spentTodayUSD - 0.03) < 1e-12)
        #expect(status.completionProbesPaused)
        // The next UTC day the budget is fresh again.
        let tomorrow = day + 86_400
        let next = plan.step(now: t0 + .seconds(70), wallTime: tomorrow).launches()
        #expect(next.filter { $0.target.settings.mode == .completion }.count == 3)
    }

    @Test func theFirstRoundEndsOnceWhenEveryTargetDeliveredOrWasRemoved() throws {
        var plan = Plan(targets: [target("a"), target("b"), target("c")], seed: seed, startSpreadSeconds: 0, now: day)
        #expect(plan.start(at: t0).count(isFirstRound) == 0)
        let launches = plan.step(now: t0, wallTime: day).launches()
        #expect(plan.finished(finished(launches[0], next: 10), now: t0, wallTime: day).count(isFirstRound) == 0)
        #expect(plan.finished(finished(launches[1], next: 10, delivered: false), now: t0, wallTime: day).count(isFirstRound) == 0,
                "a canceled probe does not count")
        #expect(plan.finished(finished(launches[2], next: 10), now: t0, wallTime: day).count(isFirstRound) == 0)
        let (_, actions) = plan.reconfigure([target("a"), target("c")], at: t0, wallTime: day)
        #expect(actions.count(isFirstRound) == 1, "removing the last unprobed target ends the round")
        let again = plan.step(now: t0 + .seconds(20), wallTime: day).launches()
        #expect(again.allSatisfy { plan.finished(finished($0, next: 10), now: t0 + .seconds(20), wallTime: day).count(isFirstRound) == 0 })
        var empty = Plan(targets: [], seed: seed, now: day)
        #expect(empty.start(at: t0).count(isFirstRound) == 1, "no targets: the round is done at once")
    }

    @Test func stopReleasesEveryTargetAndLaterResultsQueueNothing() throws {
        var plan = Plan(targets: [target("a"), target("b")], seed: seed, startSpreadSeconds: 0, now: day)
        _ = plan.start(at: t0)
        let launches = plan.step(now: t0, wallTime: day).launches()
        let stop = plan.stop()
        #expect(stop.compactMap { if case .release(let t) = $0 { t.model.rawValue } else { nil } } == ["a", "b"])
        #expect(plan.nextWake == nil)
        let late = plan.finished(finished(launches[0], next: 10), now: t0, wallTime: day)
        #expect(late.promises().isEmpty && late.count(isWake) == 0)
        #expect(plan.step(now: t0 + .seconds(100), wallTime: day).isEmpty)
    }
}
