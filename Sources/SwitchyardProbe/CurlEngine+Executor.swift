import Glibc

/// An executor that also keeps time: the scheduler loop and its probes run on it, and the
/// loop's alarm is one of its timers.
///
/// `schedule` and `cancelTimer` are called with the caller's lock held (the alarm's): they
/// must not block, wait for the executor's thread or call back into the caller.
public protocol ProbeExecutor: TaskExecutor {
    /// Calls `fire` once, when `deadline` has come (or earlier, when the executor shuts down),
    /// unless the timer is canceled first; never from within this call. Nil, and `fire` never
    /// called, when the executor has stopped and keeps no more timers.
    func schedule(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> ProbeTimer?
    /// Drops `timer` so it never fires; nothing when it has fired already (or is firing).
    func cancelTimer(_ timer: ProbeTimer)
}

/// A timer set with `ProbeExecutor.schedule(at:_:)`, to cancel it by.
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
/// response on the thread that drives libcurl, and the scheduler loop's alarm is the timeout
/// of that thread's `curl_multi_poll`, instead of each step being handed to another thread
/// (a worker, dispatch's timer thread) and waking it: at 100 probes a second those hand-overs
/// were most of the daemon's context switches. Probe code is short and never blocks, so it
/// does not hold up the transfers sharing the thread.
extension CurlEngine: ProbeExecutor {
    /// Queues a job of a task that prefers this engine; it runs on the driver thread between
    /// libcurl's calls (on the global executor once the engine has stopped).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // Once the engine has stopped, the task still has to finish somewhere.
        if !post({ $0.jobs.append(job) }) { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }

    /// Calls `fire` on the driver thread at `deadline` (its poll wakes up for it); every timer
    /// fires at shutdown. Nil once the engine has stopped: the caller keeps time another way.
    public func schedule(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> ProbeTimer? {
        var timer: ProbeTimer?
        _ = post { inbox in
            inbox.lastTimerID += 1
            inbox.timers.append(EngineTimer(id: inbox.lastTimerID, deadline: deadline, fire: fire))
            timer = ProbeTimer(id: inbox.lastTimerID)
        }
        return timer
    }

    /// Drops a timer that has not fired. The driver thread is not woken: at worst its poll
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

    /// Runs the queued jobs on the driver thread, including any they queue in turn. `scratch` is
    /// swapped with the inbox's list, so taking the jobs allocates nothing.
    func runJobs(_ scratch: inout [UnownedJob]) {
        while true {
            inbox.withLock { inbox in swap(&inbox.jobs, &scratch) }
            if scratch.isEmpty { return }
            for job in scratch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            scratch.removeAll(keepingCapacity: true)
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
            return (due, !inbox.jobs.isEmpty || !inbox.added.isEmpty || !inbox.canceled.isEmpty, next)
        }
        for timer in due { timer.fire() }
        return (queued || !due.isEmpty, next)
    }

    /// At shutdown: jobs still queued go to the global executor.
    func handOverJobs() {
        let jobs = inbox.withLock { inbox -> [UnownedJob] in
            defer { inbox.jobs.removeAll() }
            return inbox.jobs
        }
        for job in jobs { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }

    /// Whole milliseconds until `deadline`, rounded up so the poll does not wake just before it.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - .now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
