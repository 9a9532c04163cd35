import Foundation
import Logging
import Synchronization
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator
import Testing

/// What a scheduler run produced, per target.
private final class RunLog: Sendable {
    let lateness = Mutex<[Target: [Double]]>([:])
    let results = Mutex<[(Target, ProbeResult)]>([])

    var dependencies: (any HTTPTransport) -> ProbeScheduler.Dependencies {
        { transport in
            ProbeScheduler.Dependencies(
                transport: transport, clock: SystemWallClock(), deliver: { _ in },
                onResult: { target, result in self.results.withLock { $0.append((target.target, result)) } },
                onLateness: { target, late in self.lateness.withLock { $0[target, default: []].append(late) } },
                logger: Logger(label: "test")
            )
        }
    }
}

private func targets(_ provider: String, port: Int, count: Int, interval: Double, mode: ProbeMode = .liveness,
                     price: Price? = nil, budget: Double? = nil, cap: Int = 8) -> [ProbeTarget] {
    (0..<count).map { index in
        var settings = ProbeSettings()
        settings.intervalSeconds = interval
        settings.timeoutSeconds = 30
        settings.connectTimeoutSeconds = 1
        settings.mode = mode
        settings.maxConcurrentPerProvider = cap
        return ProbeTarget(target: Target(provider: ProviderID(provider), model: ModelName("m\(index)")), kind: .openai,
                           baseURL: "http://127.0.0.1:\(port)/v1", upstreamModel: "m", apiKey: nil, settings: settings,
                           price: price, budgetUSDPerDay: budget)
    }
}

/// Runs `scheduler` until `done` says so or `limit` passes (a bounded wait), then stops it.
private func run(_ scheduler: ProbeScheduler, limit: Duration, until done: @escaping @Sendable () -> Bool = { false }) async throws {
    let task = Task { try await scheduler.run() }
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline, !done() { try await Task.sleep(for: .milliseconds(20)) }
    task.cancel()
    _ = try? await task.value
}

/// The scheduler end to end against simulators: caps, cadence, Retry-After and the budget.
@Suite(.timeLimit(.minutes(5))) struct ProbeSchedulerTests {
    /// A reload that removes a paid provider and brings it back the same day must not hand it a fresh budget.
    @Test func aProviderRemovedAndReaddedTheSameDayKeepsItsSpend() throws {
        let engine = CurlEngine()
        engine.start()
        defer { engine.shutdown() }
        let paid = targets("paid", port: 9, count: 1, interval: 10, mode: .completion, budget: 1.0)
        let free = targets("free", port: 9, count: 1, interval: 10)
        let scheduler = ProbeScheduler(targets: paid + free, dependencies: RunLog().dependencies(engine))
        scheduler.restoreSpend(ProviderID("paid"), spentUSD: 0.75, on: SystemWallClock().now())
        let removed = scheduler.reconfigure(targets: free)
        #expect(removed.removed.map(\.provider.rawValue) == ["paid"])
        #expect(scheduler.budgetStatus().map(\.provider.rawValue) == ["free"])
        scheduler.reconfigure(targets: paid + free)
        let status = try #require(scheduler.budgetStatus().first { $0.provider.rawValue == "paid" })
        #expect(status.spentTodayUSD == 0.75)
    }

    @Test func aHungProviderDelaysNoOtherTarget() async throws {
        let hung = ProviderSimulator(name: "hung", behavior: SimulatorBehavior(models: ["m"], fault: .hang))
        let healthy = ProviderSimulator(name: "ok", behavior: SimulatorBehavior(models: ["m"], latencyMs: 1))
        try await SimulatorFleet([hung, healthy]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let all = targets("hung", port: ports["hung"]!, count: 6, interval: 0.1, cap: 2)
                + targets("ok", port: ports["ok"]!, count: 4, interval: 0.1, cap: 2)
            // A global cap of 4: without the per-provider cap the hung provider would hold all of it.
            let scheduler = ProbeScheduler(targets: all, maxConcurrentProbes: 4, startSpreadSeconds: 0.1, dependencies: log.dependencies(engine))
            try await run(scheduler, limit: .seconds(2))

            #expect(hung.requestCount == 2, "the per-provider cap holds the hung provider to 2 requests in flight")
            let lateness = log.lateness.withLock { $0 }
            for target in all where target.target.provider == ProviderID("ok") {
                let late = lateness[target.target] ?? []
                #expect(late.count >= 12, "\(target.target) kept its cadence: \(late.count) probes in 2 s at 0.1 s")
                #expect((late.max() ?? 1) < 0.25, "\(target.target) started at most \(late.max() ?? -1) s late")
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
            let scheduler = ProbeScheduler(targets: targets("limited", port: ports["limited"]!, count: 1, interval: 0.05),
                                           startSpreadSeconds: 0.05, dependencies: log.dependencies(engine))
            try await run(scheduler, limit: .milliseconds(1500))
            // At 0.05 s intervals it would be ~30 probes; Retry-After: 1 allows the first and one more.
            #expect(limited.requestCount == 2)
            #expect(log.results.withLock { $0.allSatisfy { $0.1.outcome == .failure(.rateLimited) && $0.1.retryAfterSeconds == 1 } })
        }
    }

    /// Eight models of one paid provider, all due in the first wake-up and each slower than the
    /// launch of the rest: without a reservation each would see nothing spent yet and all eight
    /// would run (0.08 USD against a 0.035 budget).
    @Test func probesLaunchedTogetherStayWithinTheBudget() async throws {
        let paid = ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 300))
        try await SimulatorFleet([paid]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let scheduler = ProbeScheduler(
                targets: targets("paid", port: ports["paid"]!, count: 8, interval: 60, mode: .completion,
                                 price: Price(perRequest: 0.01), budget: 0.035),
                startSpreadSeconds: 0.001, dependencies: log.dependencies(engine)
            )
            try await run(scheduler, limit: .seconds(10)) { log.results.withLock { $0.count >= 8 } }
            let results = log.results.withLock { $0.map(\.1) }
            #expect(results.count == 8)
            #expect(results.filter { $0.costUSD != nil }.count == 3, "three completions fit in 0.035 USD; the rest ran as liveness probes")
            let status = try #require(scheduler.budgetStatus().first)
            #expect(status.spentTodayUSD <= 0.035)
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
            let scheduler = ProbeScheduler(
                targets: targets("paid", port: ports["paid"]!, count: 1, interval: 0.02, mode: .completion,
                                 price: Price(perRequest: 0.01), budget: 0.035),
                startSpreadSeconds: 0.02, dependencies: log.dependencies(engine)
            )
            try await run(scheduler, limit: .seconds(5)) { log.results.withLock { $0.count >= 8 } }
            let results = log.results.withLock { $0.map(\.1) }
            #expect(results.count >= 8)
            #expect(results.allSatisfy { $0.outcome == .ok })
            // Three completions (0.03 USD; a fourth would pass 0.035), then free liveness probes only.
            #expect(results.prefix(3).allSatisfy { $0.ttftSeconds != nil && $0.costUSD == 0.01 })
            #expect(results.dropFirst(3).allSatisfy { $0.ttftSeconds == nil && $0.costUSD == nil })
            let status = try #require(scheduler.budgetStatus().first)
            #expect(status.provider == ProviderID("paid"))
            #expect(status.completionProbesPaused)
            #expect(abs(status.spentTodayUSD - 0.03) < 1e-12)
            #expect(status.limitUSD == 0.035)
        }
    }
}
