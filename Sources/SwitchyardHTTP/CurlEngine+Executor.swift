import Dispatch
import Glibc
import Synchronization

/// A timer set with `CurlEngine.schedule(at:_:)`, to cancel it by.
public struct ProbeTimer: Hashable, Sendable {
    /// Unique among the timers of one executor.
    public let id: UInt64

    public init(id: UInt64) { self.id = id }
}

/// A timer of the engine: what to call at its deadline.
struct EngineTimer {
    var id: UInt64
    var deadline: ContinuousClock.Instant
    var fire: @Sendable () -> Void
}

/// The engine's thread as the scheduler's executor and clock. A probe task that prefers it
/// (`Task(executorPreference: engine)`) starts its transfer, waits for it and resumes with the
/// response on the thread that drives libcurl, and the scheduler's timers (`EngineClock`) are
/// the timeout of that thread's `curl_multi_poll`, instead of each step being handed to another thread
/// (a worker, dispatch's timer thread) and waking it: at 100 probes a second those hand-overs
/// were most of the daemon's context switches. Probe code is short and never blocks, so it
/// does not hold up the transfers sharing the thread.
extension CurlEngine: TaskExecutor {
    /// Queues a job of a task that prefers this engine; it runs on the driver thread between
    /// libcurl's calls. It runs on the global executor instead once the engine has stopped, or
    /// when `spillThreshold` jobs already wait: then the one thread is the bottleneck (many
    /// gateway requests at once) and the other cores take the overflow, while a lone request
    /// keeps the thread's short path. Jobs of actors isolated to the engine never spill.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let queued = inbox.withLock { inbox -> Bool in
            guard !inbox.shuttingDown, inbox.jobs.count < Self.spillThreshold else { return false }
            inbox.jobs.append(job)
            return true
        }
        if queued {
            wakeUnlessOnDriverThread()
        } else {
            // Spilled, or the engine has stopped and the task still has to finish somewhere.
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// Jobs waiting for the driver thread beyond which more go to the global executor. Measured
    /// with the gateway at 32 connections (README "The gateway"): 4 keeps one connection's
    /// latency and raised completions/s by about a fifth; 1 spilled too eagerly.
    static let spillThreshold = 4

    /// Calls `fire` on the driver thread at `deadline` (its poll wakes up for it), never from
    /// within this call; every timer fires at shutdown. Nil once the engine has stopped: the
    /// caller keeps time another way. Takes only the engine's inbox lock, so callers may hold theirs.
    public func schedule(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> ProbeTimer? {
        var timer: ProbeTimer?
        _ = post { inbox in
            inbox.lastTimerID += 1
            inbox.timers.append(EngineTimer(id: inbox.lastTimerID, deadline: deadline, fire: fire))
            timer = ProbeTimer(id: inbox.lastTimerID)
        }
        return timer
    }

    /// Drops a timer that has not fired (nothing when it has fired, or is firing). The driver thread is not woken: at worst its poll
    /// returns at the dropped deadline and finds nothing due.
    public func cancelTimer(_ timer: ProbeTimer) {
        inbox.withLock { inbox in
            guard let index = inbox.timers.firstIndex(where: { $0.id == timer.id }) else { return }
            inbox.timers.swapAt(index, inbox.timers.count - 1)
            inbox.timers.removeLast()
        }
    }

    /// How many timers wait for their deadline (for tests).
    var timerCount: Int { inbox.withLock { $0.timers.count } }

    /// How many jobs of tasks that prefer the engine wait for its thread (for tests).
    var queuedJobCount: Int { inbox.withLock { $0.jobs.count } }

    /// Runs the queued jobs on the driver thread, including any they queue in turn: those of
    /// tasks that prefer the engine, and those of actors isolated to it. The scratch lists are
    /// swapped with the inbox's, so taking the jobs allocates nothing.
    func runJobs(_ scratch: inout [UnownedJob], _ isolatedScratch: inout [UnownedJob]) {
        while true {
            inbox.withLock { inbox in
                swap(&inbox.jobs, &scratch)
                swap(&inbox.isolatedJobs, &isolatedScratch)
            }
            if scratch.isEmpty && isolatedScratch.isEmpty { return }
            for job in scratch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            scratch.removeAll(keepingCapacity: true)
            let serial = serialExecutor.asUnownedSerialExecutor()
            for job in isolatedScratch { job.runSynchronously(isolatedTo: serial, taskExecutor: asUnownedTaskExecutor()) }
            isolatedScratch.removeAll(keepingCapacity: true)
        }
    }

    /// Fires the timers due at `now` (every one when nil: shutdown). Answers whether work may be
    /// waiting (jobs, transfers, or what the timers just resumed) and when the next timer is due.
    func fireTimers(at now: ContinuousClock.Instant?) -> (pending: Bool, next: ContinuousClock.Instant?) {
        let (due, queued, next) = inbox.withLock { inbox -> ([EngineTimer], Bool, ContinuousClock.Instant?) in
            var due: [EngineTimer] = []
            var next: ContinuousClock.Instant?
            var index = 0
            while index < inbox.timers.count {
                let deadline = inbox.timers[index].deadline
                if let now, deadline > now {
                    next = min(next ?? deadline, deadline)
                    index += 1
                } else {
                    inbox.timers.swapAt(index, inbox.timers.count - 1)
                    due.append(inbox.timers.removeLast())
                }
            }
            return (due, !inbox.jobs.isEmpty || !inbox.isolatedJobs.isEmpty || !inbox.added.isEmpty || !inbox.canceled.isEmpty, next)
        }
        for timer in due { timer.fire() }
        return (queued || !due.isEmpty, next)
    }

    /// At shutdown: jobs still queued go to the global executor, isolated ones to the late
    /// queue, which starts now that the driver thread runs none any more.
    func handOverJobs() {
        let (jobs, isolated) = inbox.withLock { inbox -> ([UnownedJob], [UnownedJob]) in
            defer { inbox.jobs.removeAll(); inbox.isolatedJobs.removeAll() }
            return (inbox.jobs, inbox.isolatedJobs)
        }
        for job in jobs { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
        for job in isolated { serialExecutor.runLate(job) }
        lateJobs.activate()
    }

    /// Whole milliseconds until `deadline`, rounded up so the poll does not wake just before it.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - .now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

/// The engine's poll timer as a `Clock`: a sleep is an entry in the driver thread's poll
/// timeout and resumes on that thread, so the scheduler's wake-ups cost no thread hand-over.
/// Its instants are `ContinuousClock`'s. Once the engine has stopped, sleeps keep time with
/// `ContinuousClock`; a sleep still waiting when the engine stops returns then.
public struct EngineClock: Clock {
    public typealias Instant = ContinuousClock.Instant
    public typealias Duration = Swift.Duration

    let engine: CurlEngine

    public var now: Instant { .now }
    public var minimumResolution: Duration { .milliseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let sleep = EngineSleep()
        let scheduled = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in sleep.begin(continuation, on: engine, until: deadline) }
        } onCancel: {
            sleep.cancel(on: engine)
        }
        if !scheduled { try await ContinuousClock().sleep(until: deadline, tolerance: tolerance) }
    }
}

extension CurlEngine {
    /// This engine's poll timer as a clock, for the probe scheduler.
    public var clock: EngineClock { EngineClock(engine: self) }
}

/// One sleep on the engine's clock: its continuation and timer, so that a cancellation finds
/// the timer to drop whichever comes first.
private final class EngineSleep: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Bool, any Error>?
        var timer: ProbeTimer?
        var canceled = false
    }

    private let state = Mutex(State())

    /// Sets the timer (true when it fires), or answers at once: false when the engine has stopped, an error when canceled.
    func begin(_ continuation: CheckedContinuation<Bool, any Error>, on engine: CurlEngine, until deadline: ContinuousClock.Instant) {
        let answer = state.withLock { state -> Result<Bool, any Error>? in
            if state.canceled { return .failure(CancellationError()) }
            // Set under the lock, so a cancellation always finds the timer (the engine's lock nests inside this one).
            guard let timer = engine.schedule(at: deadline, { [self] in fire() }) else { return .success(false) }
            state.continuation = continuation
            state.timer = timer
            return nil
        }
        if let answer { continuation.resume(with: answer) }
    }

    private func fire() {
        let continuation = state.withLock { state in
            defer { state.continuation = nil; state.timer = nil }
            return state.continuation
        }
        continuation?.resume(returning: true)
    }

    func cancel(on engine: CurlEngine) {
        let (continuation, timer) = state.withLock { state in
            defer { state.continuation = nil; state.timer = nil; state.canceled = true }
            return (state.continuation, state.timer)
        }
        if let timer { engine.cancelTimer(timer) }
        continuation?.resume(throwing: CancellationError())
    }
}

/// The engine's thread as a `SerialExecutor`: an actor whose `unownedExecutor` is this runs
/// its jobs on the driver thread between libcurl's calls, one at a time, so its state needs no
/// lock and its code shares the thread with the probes and timers it starts. Once the engine
/// has stopped, its jobs run one at a time on a queue of their own.
public final class CurlEngineSerialExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: `engine` is set once, in the engine's init, before the executor is shared.
    unowned(unsafe) var engine: CurlEngine!

    init() {}

    /// Queues an isolated job for the driver thread (or the late queue once the engine has stopped).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if !engine.post({ $0.isolatedJobs.append(job) }) { runLate(job) }
    }

    /// Runs `job` on the late queue (after the driver thread has stopped).
    func runLate(_ job: UnownedJob) {
        engine.lateJobs.async { [self] in job.runSynchronously(on: asUnownedSerialExecutor()) }
    }

    /// Traps unless called on this executor: the driver thread, or the late queue after it stopped.
    public func checkIsolated() {
        if pthread_self() != engine.driverThread.load(ordering: .relaxed) { dispatchPrecondition(condition: .onQueue(engine.lateJobs)) }
    }
}
