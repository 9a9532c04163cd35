import Glibc
import Synchronization
import Testing
@testable import SwitchyardProbe

/// A `ProbeExecutor` run by hand: jobs wait for `runJobs()` and timers for `fire(_:)`, so the
/// tests decide every step and never sleep.
final class ManualProbeExecutor: ProbeExecutor {
    struct ScheduledTimer {
        let timer: ProbeTimer
        let deadline: ContinuousClock.Instant
        let fire: @Sendable () -> Void
    }

    private struct State {
        var jobs: [UnownedJob] = []
        /// Every timer ever set, in order (fired, canceled or pending).
        var scheduled: [ScheduledTimer] = []
        var pending: Set<ProbeTimer> = []
        var canceled: [ProbeTimer] = []
    }

    private let state = Mutex(State())

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        state.withLock { $0.jobs.append(job) }
    }

    /// Runs the queued jobs, and those they queue in turn, until none is left.
    func runJobs() {
        while true {
            let jobs = state.withLock { state in
                defer { state.jobs.removeAll() }
                return state.jobs
            }
            if jobs.isEmpty { return }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    func schedule(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> ProbeTimer? {
        state.withLock { state in
            let timer = ProbeTimer(id: UInt64(state.scheduled.count + 1))
            state.scheduled.append(ScheduledTimer(timer: timer, deadline: deadline, fire: fire))
            state.pending.insert(timer)
            return timer
        }
    }

    func cancelTimer(_ timer: ProbeTimer) {
        state.withLock { state in
            state.canceled.append(timer)
            state.pending.remove(timer)
        }
    }

    var scheduled: [ScheduledTimer] { state.withLock { $0.scheduled } }
    var pending: Set<ProbeTimer> { state.withLock { $0.pending } }
    var canceled: [ProbeTimer] { state.withLock { $0.canceled } }

    /// Calls the `fire` of the `number`th timer set (from 1), as its deadline would: also one
    /// canceled already, as when the executor took it out to fire just before the cancel came.
    func fire(_ number: Int) {
        let timer = state.withLock { state in
            let timer = state.scheduled[number - 1]
            state.pending.remove(timer.timer)
            return timer
        }
        timer.fire()
    }
}

@Suite(.timeLimit(.minutes(5))) struct ProbeAlarmTests {
    let executor = ManualProbeExecutor()
    let start = ContinuousClock.now

    /// Starts `alarm.sleep(until:)` in a task on the executor and runs it until it sleeps (or returns).
    private func sleep(_ alarm: ProbeAlarm, until deadline: ContinuousClock.Instant?) -> Task<Void, Never> {
        let task = Task(executorPreference: executor) { await alarm.sleep(until: deadline) }
        executor.runJobs()
        return task
    }

    /// Runs what a wake-up resumed and waits for the sleep to have returned.
    private func finish(_ task: Task<Void, Never>) async {
        executor.runJobs()
        await task.value
    }

    @Test func aRingBeforeTheSleepMakesItReturnAtOnceWithNoTimer() async {
        let alarm = ProbeAlarm(executor: executor)
        alarm.ring(for: start)
        await alarm.sleep(until: start + .seconds(60))
        #expect(executor.scheduled.isEmpty)
        // The ring is used up: the next sleep sleeps.
        let task = sleep(alarm, until: start + .seconds(60))
        #expect(alarm.isSleeping)
        #expect(executor.pending.count == 1)
        alarm.ring(for: start)
        await finish(task)
    }

    @Test func aRingForLaterThanTheDeadlineDoesNotWakeTheSleepNorCarryOver() async {
        let alarm = ProbeAlarm(executor: executor)
        let task = sleep(alarm, until: start + .seconds(10))
        #expect(alarm.isSleeping)
        #expect(executor.scheduled.map(\.deadline) == [start + .seconds(10)])
        alarm.ring(for: start + .seconds(20))
        alarm.ring(for: start + .seconds(10))  // not sooner either
        #expect(alarm.isSleeping)
        #expect(executor.canceled.isEmpty)
        executor.fire(1)
        #expect(!alarm.isSleeping)
        await finish(task)
        #expect(executor.canceled.isEmpty)  // a timer that fired is not canceled as well
        // The rings above were not kept for the next sleep.
        let next = sleep(alarm, until: start + .seconds(30))
        #expect(alarm.isSleeping)
        alarm.ring(for: start)
        await finish(next)
    }

    @Test func aRingThatCutsASleepShortCancelsItsTimer() async {
        let alarm = ProbeAlarm(executor: executor)
        let task = sleep(alarm, until: start + .seconds(300))  // a Retry-After minutes away
        alarm.ring(for: start + .seconds(1))
        #expect(!alarm.isSleeping)
        await finish(task)
        #expect(executor.canceled == [ProbeTimer(id: 1)])
        #expect(executor.pending.isEmpty)
    }

    @Test func aStaleTimerFiredDuringALaterSleepIsANoOp() async {
        let alarm = ProbeAlarm(executor: executor)
        let first = sleep(alarm, until: start + .seconds(10))
        alarm.ring(for: start)
        await finish(first)
        let second = sleep(alarm, until: start + .seconds(20))
        executor.fire(1)  // the first sleep's timer, already on its way when the ring canceled it
        #expect(alarm.isSleeping)
        executor.fire(2)
        #expect(!alarm.isSleeping)
        await finish(second)
    }

    @Test func aSleepWithNoDeadlineSetsNoTimerAndAnyRingEndsIt() async {
        let alarm = ProbeAlarm(executor: executor)
        let task = sleep(alarm, until: nil)
        #expect(alarm.isSleeping)
        #expect(executor.scheduled.isEmpty)
        alarm.ring(for: start + .seconds(3600))
        #expect(!alarm.isSleeping)
        await finish(task)
    }

    @Test func aTaskCanceledBeforeItSleepsReturnsAtOnceWithNoTimer() async {
        let alarm = ProbeAlarm(executor: executor)
        let task = Task(executorPreference: executor) { await alarm.sleep(until: start + .seconds(60)) }
        task.cancel()
        await finish(task)
        #expect(executor.scheduled.isEmpty)
        #expect(!alarm.isSleeping)
    }

    @Test func cancelingTheTaskDuringItsSleepEndsItAndCancelsItsTimer() async {
        let alarm = ProbeAlarm(executor: executor)
        let task = sleep(alarm, until: start + .seconds(60))
        #expect(alarm.isSleeping)
        task.cancel()
        #expect(!alarm.isSleeping)
        await finish(task)
        #expect(executor.canceled == [ProbeTimer(id: 1)])
        #expect(executor.pending.isEmpty)
    }

    @Test func withoutAnExecutorASleepEndsAtItsDeadlineOrAtARing() async throws {
        let alarm = ProbeAlarm(executor: nil)
        let deadline = ContinuousClock.now + .milliseconds(20)
        await alarm.sleep(until: deadline)
        #expect(ContinuousClock.now >= deadline)
        let task = Task { await alarm.sleep(until: .now + .seconds(600)) }
        try await waitUntil { alarm.isSleeping }
        alarm.ring(for: .now)
        await task.value
        #expect(!alarm.isSleeping)
    }
}

/// The engine's own timers, on its driver thread.
@Suite(.timeLimit(.minutes(5))) struct CurlEngineTimerTests {
    /// A record of which timers fired, from the driver thread.
    final class Fired: Sendable {
        private let ids = Mutex<[Int]>([])
        func record(_ id: Int) { ids.withLock { $0.append(id) } }
        var all: [Int] { ids.withLock { $0.sorted() } }
    }

    @Test func aTimerFiresOnTheDriverThreadNoEarlierThanItsDeadline() async {
        let engine = CurlEngine()
        engine.start()
        defer { engine.shutdown() }
        let deadline = ContinuousClock.now + .milliseconds(20)
        let onDriverThread = await withCheckedContinuation { continuation in
            _ = engine.schedule(at: deadline) { continuation.resume(returning: pthread_self() == engine.driverThread.load(ordering: .relaxed)) }
        }
        #expect(ContinuousClock.now >= deadline)
        #expect(onDriverThread)
        #expect(engine.timerCount == 0)
    }

    @Test func aCanceledTimerNeverFiresAndShutdownFiresTheRest() throws {
        let engine = CurlEngine()
        engine.start()
        let fired = Fired()
        let far = ContinuousClock.now + .seconds(600)
        let timers = try (1...3).map { id in try #require(engine.schedule(at: far) { fired.record(id) }) }
        #expect(Set(timers).count == 3)
        #expect(engine.timerCount == 3)
        engine.cancelTimer(timers[1])
        engine.cancelTimer(timers[1])  // twice: nothing more
        #expect(engine.timerCount == 2)
        engine.shutdown()
        #expect(fired.all == [1, 3])
        #expect(engine.timerCount == 0)
        #expect(engine.schedule(at: far) { fired.record(4) } == nil)
        engine.cancelTimer(timers[0])  // fired already: nothing
    }

    @Test func anAlarmCutShortLeavesNoTimerOnTheEngineAndShutdownEndsASleep() async throws {
        let engine = CurlEngine()
        engine.start()
        let alarm = ProbeAlarm(executor: engine)
        for _ in 0..<3 {
            let task = Task { await alarm.sleep(until: .now + .seconds(300)) }
            try await waitUntil { alarm.isSleeping }
            #expect(engine.timerCount == 1)
            alarm.ring(for: .now)
            await task.value
            #expect(engine.timerCount == 0)
        }
        let task = Task { await alarm.sleep(until: .now + .seconds(300)) }
        try await waitUntil { alarm.isSleeping }
        engine.shutdown()  // fires the sleep's timer
        await task.value
        // The engine has stopped: a sleep keeps time with a task instead.
        let deadline = ContinuousClock.now + .milliseconds(10)
        await alarm.sleep(until: deadline)
        #expect(ContinuousClock.now >= deadline)
        #expect(engine.timerCount == 0)
    }
}

/// Waits (yielding) until `condition` holds, for a task started elsewhere to reach its sleep.
func waitUntil(_ condition: () -> Bool) async throws {
    let limit = ContinuousClock.now + .seconds(5)
    while !condition() {
        try #require(ContinuousClock.now < limit, "condition not met within 5 s")
        await Task.yield()
    }
}
