import Foundation
import Logging
import Synchronization
import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

typealias Scheduler = ClockedProbeScheduler<ManualClock>

/// A wall clock that stands still, so the health book's answers are exact.
struct StillWallClock: WallClock {
    let time = Timestamp(secondsSinceEpoch: 1_700_000_000)
    func now() -> Timestamp { time }
}

/// What a scheduler run delivered, and how late each probe started.
final class RunLog: Sendable {
    let observations = Mutex<[Observation]>([])
    let lateness = Mutex<[Target: [Double]]>([:])
    let firstRound = Mutex(0)

    var count: Int { observations.withLock { $0.count } }
    func count(_ provider: String) -> Int { observations.withLock { $0.filter { $0.target.provider.rawValue == provider }.count } }
}

func targets(_ provider: String, port: Int, count: Int, interval: Double, mode: ProbeMode = .liveness,
                     price: Price? = nil, budget: Double? = nil, cap: Int = 8) -> [ProbeTarget] {
    (0..<count).map { index in
        var settings = ProbeSettings()
        settings.intervalSeconds = interval
        settings.timeoutSeconds = 30
        settings.connectTimeoutSeconds = 1
        settings.mode = mode
        settings.maxConcurrentPerProvider = cap
        // A key per target, so each liveness probe makes its own request (probes with the same key
        // share one model-list fetch: ModelListSharingTests), as these tests count requests per target.
        return ProbeTarget(target: Target(provider: ProviderID(provider), model: ModelName("m\(index)")), kind: .openai,
                           baseURL: "http://127.0.0.1:\(port)/v1", upstreamModel: "m", apiKey: Secret("key-\(provider)-\(index)"), settings: settings,
                           price: price, budgetUSDPerDay: budget)
    }
}

/// A scheduler on a manual clock and `engine`'s thread (through `transport`, the engine unless
/// given), delivering into `log` and the real health book, whose answers say when to probe next.
func scheduler(_ targets: [ProbeTarget], clock: ManualClock, log: RunLog, engine: CurlEngine, transport: (any HTTPTransport)? = nil,
               maxConcurrentProbes: Int = 256, startSpreadSeconds: Double = 0) -> Scheduler {
    let descriptors = targets.enumerated().map { index, target in
        TargetDescriptor(target: target.target, upstreamModel: target.upstreamModel, baseURL: target.baseURL, price: nil, preferenceOrder: index)
    }
    let wallClock = StillWallClock()
    let book = HealthBook(descriptors: descriptors, now: wallClock.now())
    return Scheduler(targets: targets, maxConcurrentProbes: maxConcurrentProbes, startSpreadSeconds: startSpreadSeconds, dependencies: .init(
        transport: transport ?? engine, wallClock: wallClock, clock: clock,
        deliver: { observation in
            _ = book.observe(observation)
            log.observations.withLock { $0.append(observation) }
        },
        nextProbeAt: { target, now, interval in book.nextProbe(of: target, after: now, interval: interval) },
        onFirstRound: { log.firstRound.withLock { $0 += 1 } },
        onLateness: { target, late in log.lateness.withLock { $0[target, default: []].append(late) } },
        executor: engine, seed: 42, logger: Logger(label: "test")
    ))
}

/// Waits until `condition` holds (something the scheduler or a simulator does on real time), at most 10 s.
func until(_ what: String, _ condition: () -> Bool) async throws {
    let limit = ContinuousClock.now + .seconds(10)
    while !condition() {
        try #require(ContinuousClock.now < limit, "not within 10 s: \(what)")
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// Runs `scheduler` for `body`, then shuts it down and waits for it.
func running(_ scheduler: Scheduler, _ body: () async throws -> Void) async throws {
    let task = Task { try await scheduler.run() }
    do { try await body() } catch {
        task.cancel()
        _ = try? await task.value
        throw error
    }
    task.cancel()
    _ = try? await task.value
}

/// The scheduler on a manual clock against simulators: probes start at the instants the plan
/// gives, the caps, Retry-After and the budget hold.
@Suite(.timeLimit(.minutes(2))) struct ProbeSchedulerTests {
    let clock = ManualClock()

    /// A reload that removes a paid provider and brings it back the same day must not hand it a fresh budget.
    @Test func aProviderRemovedAndReaddedTheSameDayKeepsItsSpend() async throws {
        let engine = CurlEngine()
        engine.start()
        defer { engine.shutdown() }
        let paid = targets("paid", port: 9, count: 1, interval: 10, mode: .completion, budget: 1.0)
        let free = targets("free", port: 9, count: 1, interval: 10)
        let scheduler = scheduler(paid + free, clock: clock, log: RunLog(), engine: engine)
        await scheduler.restoreSpend(ProviderID("paid"), spentUSD: 0.75, on: StillWallClock().now())
        let removed = await scheduler.reconfigure(targets: free)
        #expect(removed.removed.map(\.provider.rawValue) == ["paid"])
        #expect(await scheduler.budgetStatus().map(\.provider.rawValue) == ["free"])
        await scheduler.reconfigure(targets: paid + free)
        let status = try #require(await scheduler.budgetStatus().first { $0.provider.rawValue == "paid" })
        #expect(status.spentTodayUSD == 0.75)
    }

    /// The first probe starts at once (no spread), the next exactly where the health book's
    /// interval and the seeded jitter put it: the timer is set for that instant, nothing starts
    /// before it fires, and each probe starts on time.
    @Test func probesStartAtThePlannedInstants() async throws {
        let ok = ProviderSimulator(name: "ok", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0))
        try await SimulatorFleet([ok]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let scheduler = scheduler(targets("ok", port: ports["ok"]!, count: 1, interval: 10), clock: clock, log: log, engine: engine)
            var random = SplitMix64(seed: 42)
            _ = Double.random(in: 0...0, using: &random)  // the first probe's spread
            let leeway = Duration.milliseconds(50)
            try await running(scheduler) {
                for round in 1...3 {
                    // Planned from the end of the probe, which ends at once on this clock.
                    let next = clock.now.advanced(by: .seconds(10 * Double.random(in: 1.0...1.1, using: &random)))
                    try await until("probe \(round) delivered and the next one's timer set") { log.count == round && clock.sleepers == [next.advanced(by: leeway)] }
                    #expect(ok.requestCount == round)
                    clock.advance(to: next.advanced(by: leeway).advanced(by: .nanoseconds(-1)))
                    #expect(ok.requestCount == round, "nothing starts before the timer fires")
                    clock.advance(to: next.advanced(by: leeway))
                }
                try await until("probe 4 delivered") { log.count == 4 }
            }
            #expect(log.lateness.withLock { $0.values.flatMap { $0 } } == [0, 0, 0, 0], "every probe started at the end of its window")
            #expect(log.firstRound.withLock { $0 } == 1)
        }
    }

    @Test func aHungProviderDelaysNoOtherTarget() async throws {
        let hung = ProviderSimulator(name: "hung", behavior: SimulatorBehavior(models: ["m"], fault: .hang))
        let healthy = ProviderSimulator(name: "ok", behavior: SimulatorBehavior(models: ["m"], latencyMs: 1))
        try await SimulatorFleet([hung, healthy]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let all = targets("hung", port: ports["hung"]!, count: 6, interval: 1, cap: 2) + targets("ok", port: ports["ok"]!, count: 4, interval: 1, cap: 2)
            // A global cap of 4: without the per-provider cap the hung provider would hold all of it.
            let scheduler = scheduler(all, clock: clock, log: log, engine: engine, maxConcurrentProbes: 4)
            try await running(scheduler) {
                // Steps to each timer the scheduler sets once the healthy probes started so far have answered.
                while log.count("ok") < 12 {
                    try await until("a timer, the healthy probes answered") {
                        let started = log.lateness.withLock { $0.filter { $0.key.provider.rawValue == "ok" }.values.map(\.count).reduce(0, +) }
                        return !clock.sleepers.isEmpty && started == log.count("ok")
                    }
                    clock.advance(to: clock.sleepers[0])
                }
                try await until("the hung provider's two requests") { hung.requestCount == 2 }
            }
            #expect(hung.requestCount == 2, "the per-provider cap holds the hung provider to 2 requests in flight")
            #expect(log.count("hung") == 0)
            let lateness = log.lateness.withLock { $0 }
            for target in all where target.target.provider == ProviderID("ok") {
                let late = lateness[target.target] ?? []
                #expect(late.count >= 2, "\(target.target) kept its cadence: \(late.count) probes")
                #expect((late.max() ?? 2) < 1.2, "\(target.target) started at most \(late.max() ?? -1) s (of the manual clock) late")
            }
        }
    }

    @Test func retryAfterIsWaitedOut() async throws {
        let limited = ProviderSimulator(name: "limited", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0, fault: .rateLimited, retryAfterSeconds: 1))
        try await SimulatorFleet([limited]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let scheduler = scheduler(targets("limited", port: ports["limited"]!, count: 1, interval: 0.05), clock: clock, log: log, engine: engine)
            try await running(scheduler) {
                try await until("the first answer and the next probe's timer") { log.count == 1 && clock.sleepers.count == 1 }
                // At 0.05 s intervals the next would come after 50 ms; Retry-After: 1 puts it a second
                // after the answer (the wall clock stands still, so after the request's own time),
                // stretched by the jitter (up to 10 %), plus the leeway.
                let wake = clock.sleepers[0]
                let retry = 1 + log.observations.withLock { $0[0].totalSeconds }
                #expect(wake >= clock.zero.advanced(by: .seconds(retry)))
                #expect(wake <= clock.zero.advanced(by: .seconds(retry * 1.1 + 0.0005)))
                clock.advance(to: wake.advanced(by: .milliseconds(-1)))
                #expect(clock.sleepers == [wake], "its timer has not fired: nothing else can start")
                clock.advance(to: wake)
                try await until("the second answer") { log.count == 2 }
            }
            #expect(limited.requestCount == 2)
            #expect(log.observations.withLock { $0.allSatisfy { $0.outcome == .failure(.rateLimited) && $0.retryAt != nil } })
        }
    }

    /// Eight models of one paid provider, all due in the first step: each reserves its estimate
    /// at launch, so three completions fit in 0.035 USD and the rest run as liveness probes.
    @Test func probesLaunchedTogetherStayWithinTheBudget() async throws {
        let paid = ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0))
        try await SimulatorFleet([paid]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let scheduler = scheduler(targets("paid", port: ports["paid"]!, count: 8, interval: 60, mode: .completion,
                                              price: Price(perRequest: 0.01), budget: 0.035), clock: clock, log: log, engine: engine)
            try await running(scheduler) { try await until("eight answers") { log.count == 8 } }
            let observations = log.observations.withLock { $0 }
            #expect(observations.filter { $0.costUSD != nil }.count == 3, "three completions fit in 0.035 USD; the rest ran as liveness probes")
            let status = try #require(await scheduler.budgetStatus().first)
            #expect(abs(status.spentTodayUSD - 0.03) < 1e-12)
        }
    }

    @Test func spentBudgetStopsCompletionProbesButNotLiveness() async throws {
        let paid = ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0))
        try await SimulatorFleet([paid]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let scheduler = scheduler(targets("paid", port: ports["paid"]!, count: 1, interval: 0.02, mode: .completion,
                                              price: Price(perRequest: 0.01), budget: 0.035), clock: clock, log: log, engine: engine)
            try await running(scheduler) {
                for round in 1...8 {
                    try await until("answer \(round) and the next timer") { log.count == round && !clock.sleepers.isEmpty }
                    clock.advance(to: clock.sleepers[0])
                }
            }
            let observations = log.observations.withLock { Array($0.prefix(8)) }
            #expect(observations.allSatisfy { $0.outcome == .ok })
            // Three completions (0.03 USD; a fourth would pass 0.035), then free liveness probes only.
            #expect(observations.prefix(3).allSatisfy { $0.ttftSeconds != nil && $0.costUSD == 0.01 && $0.tokensPerSecond != nil })
            #expect(observations.dropFirst(3).allSatisfy { $0.ttftSeconds == nil && $0.costUSD == nil })
            #expect(observations.allSatisfy { $0.phases != nil }, "the observation carries the phases")
            let status = try #require(await scheduler.budgetStatus().first)
            #expect(status.completionProbesPaused)
            #expect(abs(status.spentTodayUSD - 0.03) < 1e-12)
            #expect(status.limitUSD == 0.035)
        }
    }

    /// A reload removes a target whose probe is in flight: its answer is not delivered, and the
    /// targets that stay keep their timer.
    @Test func aReloadDropsTheAnswerOfARemovedTargetsProbe() async throws {
        let slow = ProviderSimulator(name: "slow", behavior: SimulatorBehavior(models: ["m"], latencyMs: 100))
        try await SimulatorFleet([slow]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let all = targets("slow", port: ports["slow"]!, count: 2, interval: 10)
            let scheduler = scheduler(all, clock: clock, log: log, engine: engine)
            try await running(scheduler) {
                try await until("both requests in flight") { slow.requestCount == 2 }
                let change = await scheduler.reconfigure(targets: [all[0]])
                #expect(change.removed == [all[1].target])
                try await until("the kept target's answer and its next timer") { log.count == 1 && clock.sleepers.count == 1 }
                // Both requests went out together with the same latency: by the time the kept target
                // has answered a second time, the removed one's answer came long ago.
                clock.advance(to: clock.sleepers[0])
                try await until("the kept target's second answer") { log.count == 2 }
            }
            #expect(slow.requestCount == 3)
            #expect(log.observations.withLock { $0.map(\.target) } == [all[0].target, all[0].target])
        }
    }

    /// A reload that removes a target cancels its probe in flight: here a hung one holding the
    /// only global slot, which the added target then gets at once instead of after the 30 s timeout.
    @Test func aReloadCancelsTheProbeInFlightOfARemovedTarget() async throws {
        let hung = ProviderSimulator(name: "hung", behavior: SimulatorBehavior(models: ["m"], fault: .hang))
        let ok = ProviderSimulator(name: "ok", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0))
        try await SimulatorFleet([hung, ok]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let stuck = targets("hung", port: ports["hung"]!, count: 1, interval: 10)
            let fresh = targets("ok", port: ports["ok"]!, count: 1, interval: 10)
            let scheduler = scheduler(stuck, clock: clock, log: log, engine: engine, maxConcurrentProbes: 1)
            try await running(scheduler) {
                try await until("the hung request") { hung.requestCount == 1 }
                let change = await scheduler.reconfigure(targets: fresh)
                #expect(change.removed == [stuck[0].target] && change.added == [fresh[0].target])
                try await until("the added target's answer") { log.count == 1 }
            }
            #expect(log.observations.withLock { $0.map(\.target) } == [fresh[0].target], "the canceled probe delivered nothing")
        }
    }
}
