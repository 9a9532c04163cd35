import Glibc

/// An executor that also keeps time: the scheduler loop and its probes run on it, and the
/// loop sleeps on it until the next probe is due.
public protocol ProbeExecutor: TaskExecutor {
    /// Returns at `deadline`, or at once when the calling task is canceled.
    func sleep(until deadline: ContinuousClock.Instant) async
}

/// A task sleeping on the engine until its deadline.
struct EngineSleeper {
    var id: Int
    var deadline: ContinuousClock.Instant
    var continuation: CheckedContinuation<Void, Never>
}

/// The engine's thread as the scheduler's executor and clock. A probe task that prefers it
/// (`Task(executorPreference: engine)`) starts its transfer, waits for it and resumes with the
/// response on the thread that drives libcurl, and the scheduler loop's sleep is the timeout
/// of that thread's `curl_multi_poll`, instead of each step being handed to another thread
/// (a worker, dispatch's timer thread) and waking it: at 100 probes a second those hand-overs
/// were most of the daemon's context switches. Probe code is short and never blocks, so it
/// does not hold up the transfers sharing the thread.
extension CurlEngine: ProbeExecutor {
    /// Queues a job of a task that prefers this engine; it runs on the driver thread between
    /// libcurl's calls (on the global executor once the engine has stopped).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.shuttingDown else { return false }
            inbox.jobs.append(job)
            return true
        }
        if accepted {
            wakeUnlessOnDriverThread()
        } else {
            // The engine has stopped: the task still has to finish somewhere.
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// Returns at `deadline` (the driver thread's poll wakes up for it), or at once when the
    /// calling task is canceled. Once the engine has stopped, sleeps on the global clock instead,
    /// so a loop still sleeping on it does not spin.
    public func sleep(until deadline: ContinuousClock.Instant) async {
        let id = inbox.withLock { inbox -> Int? in
            guard !inbox.shuttingDown else { return nil }
            inbox.lastSleeperID += 1
            return inbox.lastSleeperID
        }
        guard let id else {
            try? await Task.sleep(until: deadline, clock: .continuous)
            return
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = inbox.withLock { inbox -> Bool in
                    // Checked under the lock: a cancellation is either seen here or finds the sleeper queued.
                    if Task.isCancelled || inbox.shuttingDown { return true }
                    inbox.sleepers.append(EngineSleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if now { continuation.resume() } else { wakeUnlessOnDriverThread() }
            }
        } onCancel: {
            let sleeper = inbox.withLock { inbox -> EngineSleeper? in
                guard let index = inbox.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return inbox.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume()
        }
    }

    /// Runs the queued jobs on the driver thread, including any they queue in turn.
    func runJobs() {
        while true {
            let jobs = inbox.withLock { inbox -> [UnownedJob] in
                defer { inbox.jobs.removeAll(keepingCapacity: true) }
                return inbox.jobs
            }
            if jobs.isEmpty { return }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// Resumes the sleepers due at `now` (every one when nil: shutdown).
    func wakeSleepers(at now: ContinuousClock.Instant?) {
        let isDue = { (sleeper: EngineSleeper) in now.map { sleeper.deadline <= $0 } ?? true }
        let due = inbox.withLock { inbox -> [EngineSleeper] in
            guard inbox.sleepers.contains(where: isDue) else { return [] }
            defer { inbox.sleepers.removeAll(where: isDue) }
            return inbox.sleepers.filter(isDue)
        }
        for sleeper in due { sleeper.continuation.resume() }
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
