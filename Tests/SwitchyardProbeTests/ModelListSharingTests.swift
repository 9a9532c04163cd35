import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardProbe
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// Liveness probes that read the same model list with the same key share one fetch: the real
/// scheduler on a manual clock against a simulator, which records every model-list read.
@Suite(.timeLimit(.minutes(2))) struct ModelListSharingTests {
    let clock = ManualClock()

    /// Twenty targets of one provider, one of them missing from its list, liveness every 60 s.
    private func listed(port: Int, count: Int, key: String? = nil, provider: String = "router") -> [ProbeTarget] {
        targets(provider, port: port, count: count, interval: 60).enumerated().map { index, target in
            var target = target
            target.upstreamModel = "m\(index)"
            target.apiKey = key.map(Secret.init)
            return target
        }
    }

    /// One read per round instead of one per target; the target whose model is not listed still fails its own probe.
    @Test func targetsOfOneListShareOneFetchPerRound() async throws {
        let router = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: (0..<19).map { "m\($0)" }, latencyMs: 5))
        try await SimulatorFleet([router]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let scheduler = scheduler(listed(port: ports["router"]!, count: 20), clock: clock, log: log, engine: engine)
            try await running(scheduler) {
                try await until("the first round delivered") { log.count == 20 }
                #expect(router.recordedListReads.count == 1, "20 liveness probes, one model-list fetch")
                // The next round: every target is due within 60…66 s (jitter), all started in one step.
                clock.advance(by: .seconds(70))
                try await until("the second round delivered") { log.count == 40 }
                #expect(router.recordedListReads.count == 2, "a new round fetches the list again, once")
            }
            #expect(scheduler.modelLists.fetches == 2)
            let observations = log.observations.withLock { $0 }
            let missing = observations.filter { $0.target.model.rawValue == "m19" }
            #expect(missing.count == 2)
            #expect(missing.allSatisfy { $0.outcome == .failure(.modelNotFound) }, "a target missing from the shared list fails its own probe")
            #expect(observations.filter { $0.target.model.rawValue != "m19" }.allSatisfy { $0.outcome == .ok })
        }
    }

    /// A probe asked for out of turn (to confirm client reports that came after the round) reads
    /// the list afresh, though the round's answer is still young enough to share.
    @Test func aProbeAskedForOutOfTurnReadsAfresh() async throws {
        let router = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: ["m0", "m1", "m2"], latencyMs: 1))
        try await SimulatorFleet([router]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let all = listed(port: ports["router"]!, count: 3)
            let scheduler = scheduler(all, clock: clock, log: log, engine: engine)
            try await running(scheduler) {
                try await until("the first round delivered") { log.count == 3 }
                #expect(router.recordedListReads.count == 1)
                await scheduler.probeSoon(all[1].target)
                clock.advance(by: .seconds(2))  // past the 1 s gap after its last start, inside the 5 s reuse bound
                try await until("the out-of-turn probe delivered") { log.count == 4 }
            }
            #expect(router.recordedListReads.count == 2, "the confirming probe made its own request")
        }
    }

    /// Two keys never share an answer (a list one key may see is not another's), and the header
    /// the simulator saw is each probe's own.
    @Test func differentKeysFetchTheirOwnList() async throws {
        let router = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: ["m0", "m1", "m2"], latencyMs: 5))
        try await SimulatorFleet([router]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let all = listed(port: ports["router"]!, count: 3, key: "key-a", provider: "a") + listed(port: ports["router"]!, count: 3, key: "key-b", provider: "b")
            let scheduler = scheduler(all, clock: clock, log: log, engine: engine)
            try await running(scheduler) {
                try await until("the first round delivered") { log.count == 6 }
            }
            let keys = router.recordedListReads.compactMap { $0.headers["authorization"] }.sorted()
            #expect(keys == ["Bearer key-a", "Bearer key-b"])
        }
    }

    /// Probes waiting on a hung fetch that are all canceled cancel it (a reload or shutdown does
    /// not wait for the probe timeout), and a canceled answer is not kept: the next probe fetches anew.
    @Test func whenEveryWaiterIsCanceledTheFetchIsCanceledAndNotKept() async throws {
        let hung = ProviderSimulator(name: "hung", behavior: SimulatorBehavior(models: ["m1"], fault: .hang))
        try await SimulatorFleet([hung]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let sharing = ModelListSharing(now: { [clock] in clock.now })
            let probe = OpenAIProbe(modelLists: ModelListReader(sharing))
            let target = probeTarget(port: ports["hung"]!, timeout: 30) { $0.intervalSeconds = 60 }
            let waiters = (0..<3).map { _ in Task { await probe.probe(target, using: engine, now: SystemWallClock().now()) } }
            try await until("the fetch reached the simulator and all three wait for it") { hung.requestCount == 1 && sharing.waitingProbes == 3 }
            for waiter in waiters { waiter.cancel() }
            for waiter in waiters { #expect(await waiter.value.outcome == .failure(.canceled)) }
            #expect(sharing.fetches == 1)
            let again = Task { await probe.probe(target, using: engine, now: SystemWallClock().now()) }
            try await until("a new fetch went out") { hung.requestCount == 2 }
            again.cancel()
            #expect(await again.value.outcome == .failure(.canceled))
            #expect(sharing.fetches == 2)
        }
    }

    /// One canceled waiter among others does not cancel the fetch the others wait for.
    @Test func oneCanceledWaiterLeavesTheFetchToTheOthers() async throws {
        let slow = ProviderSimulator(name: "slow", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 300))
        try await SimulatorFleet([slow]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let sharing = ModelListSharing(now: { [clock] in clock.now })
            let probe = OpenAIProbe(modelLists: ModelListReader(sharing))
            let target = probeTarget(port: ports["slow"]!, timeout: 10) { $0.intervalSeconds = 60 }
            let first = Task { await probe.probe(target, using: engine, now: SystemWallClock().now()) }
            try await until("the fetch reached the simulator") { slow.requestCount == 1 }
            let second = Task { await probe.probe(target, using: engine, now: SystemWallClock().now()) }
            try await until("the second probe waits for the first one's fetch") { sharing.waitingProbes == 2 }
            first.cancel()
            let answer = await second.value
            #expect(answer.outcome == .ok)
            #expect(answer.message == "model list from a shared fetch; its latency is that fetch's")
            #expect(slow.requestCount == 1 && sharing.fetches == 1)
        }
    }

    /// The reuse bound: a quarter of the probe's interval, at most 5 s.
    @Test func answersAreReusedForAQuarterOfTheIntervalAtMostFiveSeconds() {
        #expect(ModelListSharing<ManualClock.Instant>.maxAge(interval: 8) == .seconds(2))
        #expect(ModelListSharing<ManualClock.Instant>.maxAge(interval: 60) == .seconds(5))
    }
}
