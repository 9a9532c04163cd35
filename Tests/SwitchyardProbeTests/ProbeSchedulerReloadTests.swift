import Logging
import Synchronization
import SwitchyardCore
@testable import SwitchyardProbe
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// The engine as the transport, with its first answer held back until `release()`: that probe has
/// its answer in hand but has not finished, which is where a reload can land in between.
private final class FirstAnswerHeld: HTTPTransport, Sendable {
    let engine: CurlEngine
    let answered = Rendezvous<Void>()
    private let released = Rendezvous<Void>()
    private let first = Mutex(true)

    init(_ engine: CurlEngine) { self.engine = engine }

    func perform(_ request: HTTPRequest) async -> HTTPTransferResult {
        let result = await engine.perform(request)
        let isFirst = first.withLock { first in
            defer { first = false }
            return first
        }
        guard isFirst else { return result }
        answered.set(())
        await released.value()
        return result
    }

    func release() { released.set(()) }
}

/// Reloads on a running scheduler, on a manual clock: exact instants, no waiting to see that
/// something did not happen (every wait is for a simulator's answer or a timer being set).
@Suite(.timeLimit(.minutes(2))) struct ProbeSchedulerReloadTests {
    let clock = ManualClock()
    let leeway = Duration.milliseconds(50)

    /// A reload that removes one target and adds another: the kept target is probed at the
    /// instants its floor before the reload and the seeded jitter give (it was not restarted),
    /// the added one from the reload on, and the removed one never (its queued probe is gone).
    @Test func aReloadKeepsTheKeptTargetsInstantsAndNeverProbesTheRemovedOne() async throws {
        let simulators = ["kept", "gone", "added"].map { ProviderSimulator(name: $0, behavior: SimulatorBehavior(models: ["m"], latencyMs: 0)) }
        try await SimulatorFleet(simulators).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let (kept, removed, added) = (targets("kept", port: ports["kept"]!, count: 1, interval: 10),
                                          targets("gone", port: ports["gone"]!, count: 1, interval: 10),
                                          targets("added", port: ports["added"]!, count: 1, interval: 10))
            let scheduler = scheduler(kept + removed, clock: clock, log: log, engine: engine, startSpreadSeconds: 5)
            // The plan's draws, in its order: the first probes within the 5 s spread (targets sorted:
            // "gone" first), then the added target's.
            var random = SplitMix64(seed: 42)
            let removedFloor = Double.random(in: 0...5, using: &random)
            let keptFloor = Double.random(in: 0...5, using: &random)
            try #require(removedFloor > keptFloor + 0.05, "the seed puts the removed target's first probe after the kept one's window")
            let keptTimer = clock.zero.advanced(by: .seconds(keptFloor) + leeway)
            try await running(scheduler) {
                try await until("the first timer") { clock.sleepers == [keptTimer] }
                let change = await scheduler.reconfigure(targets: kept + added)
                #expect(change == ProbeTargetChange(added: [added[0].target], removed: [removed[0].target], unchanged: [kept[0].target]))
                var floors = [kept[0].target: Duration.seconds(keptFloor), added[0].target: .seconds(Double.random(in: 0...5, using: &random))]
                var starts: [(Target, Duration)] = []
                while true {
                    let due = floors.sorted { $0.value < $1.value }
                    let at = due[0].value + leeway
                    if at > .seconds(35) { break }
                    try #require(due[1].value > at, "one probe per window, so the jitter is drawn in the order of the starts")
                    try await until("the timer of \(due[0].key)'s probe \(starts.count + 1)") {
                        clock.sleepers.first == clock.zero.advanced(by: at) && log.count == starts.count
                    }
                    clock.advance(to: clock.zero.advanced(by: at))
                    starts.append((due[0].key, at))
                    try await until("\(due[0].key)'s answer") { log.count == starts.count }
                    // It answered at once on this clock: its next floor is the interval, jittered, after it started.
                    floors[due[0].key] = at + .seconds(10 * Double.random(in: 1.0...1.1, using: &random))
                }
                #expect(starts.filter { $0.0 == kept[0].target }.count >= 3 && starts.filter { $0.0 == added[0].target }.count >= 3)
                #expect(log.observations.withLock { $0.map(\.target) } == starts.map(\.0), "each probe started at the instant the plan gave it")
            }
            #expect(log.lateness.withLock { $0.values.flatMap { $0 } }.allSatisfy { $0 == 0 }, "every probe started at the end of its window")
            #expect(simulators[1].requestCount == 0, "the removed target's queued probe was dropped")
        }
    }

    /// A reload that changes a target lands after its probe in flight has its answer but before
    /// that probe has finished: the stale answer is not delivered and queues nothing, and the new
    /// generation (waiting for the only global slot) is probed and planned exactly.
    @Test func aReloadBetweenAProbesAnswerAndItsFinishDropsTheStaleAnswer() async throws {
        let simulator = ProviderSimulator(name: "p", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0))
        try await SimulatorFleet([simulator]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            let log = RunLog()
            let held = FirstAnswerHeld(engine)
            let before = targets("p", port: ports["p"]!, count: 1, interval: 10)
            let after = targets("p", port: ports["p"]!, count: 1, interval: 20)
            let scheduler = scheduler(before, clock: clock, log: log, engine: engine, transport: held, maxConcurrentProbes: 1)
            var random = SplitMix64(seed: 42)
            _ = Double.random(in: 0...0, using: &random)  // the first probe's spread
            _ = Double.random(in: 0...0, using: &random)  // the changed target's restart
            try await running(scheduler) {
                await held.answered.value()
                let change = await scheduler.reconfigure(targets: after)
                #expect(change.changed == [before[0].target])
                #expect(log.count == 0 && simulator.requestCount == 1, "the new generation waits for the slot the held probe has")
                held.release()
                try await until("the new generation's answer") { log.count == 1 }
                // Planned from its answer with the new interval; the stale probe drew no jitter and set no timer.
                let next = clock.zero.advanced(by: .seconds(20 * Double.random(in: 1.0...1.1, using: &random)) + leeway)
                try await until("the next timer") { !clock.sleepers.isEmpty }
                #expect(clock.sleepers == [next])
                clock.advance(to: next)
                try await until("the third answer") { log.count == 2 }
            }
            #expect(simulator.requestCount == 3)
            #expect(log.lateness.withLock { $0.values.flatMap { $0 } } == [0, 0, 0])
        }
    }
}
