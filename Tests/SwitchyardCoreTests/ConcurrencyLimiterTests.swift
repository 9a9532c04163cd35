import Synchronization
import Testing
import SwitchyardCore

/// A task executor run by hand: jobs wait for `runJobs()`, so each waiter is known to be
/// queued (or served) before the next step.
final class ManualExecutor: TaskExecutor {
    private let jobs = Mutex<[UnownedJob]>([])

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
    }

    /// Runs the queued jobs, and those they queue in turn, until none is left.
    func runJobs() {
        while true {
            let batch = jobs.withLock { jobs in
                defer { jobs.removeAll() }
                return jobs
            }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}

/// Who got an answer from `acquire`, in order.
final class Answers: Sendable {
    private let answers = Mutex<[String]>([])
    func record(_ name: String, granted: Bool) { answers.withLock { $0.append("\(name) \(granted)") } }
    var log: [String] { answers.withLock { $0 } }
}

@Suite struct ConcurrencyLimiterTests {
    let executor = ManualExecutor()
    let answers = Answers()

    /// `name` asks for a slot, in a task of its own run until it holds one or waits; canceled
    /// before it asks when `canceled`.
    @discardableResult
    private func acquire(_ limiter: ConcurrencyLimiter, _ name: String, canceled: Bool = false) -> Task<Void, Never> {
        let task = Task(executorPreference: executor) { [answers] in
            let granted = await limiter.acquire()
            answers.record(name, granted: granted)
        }
        if canceled { task.cancel() }
        executor.runJobs()
        return task
    }

    private var log: [String] { answers.log }

    @Test func aCanceledTaskGetsFalseEvenWithASlotFreeAndTheSlotStaysFree() {
        let limiter = ConcurrencyLimiter(limit: 1)
        acquire(limiter, "canceled", canceled: true)
        #expect(log == ["canceled false"])
        acquire(limiter, "next")
        #expect(log == ["canceled false", "next true"])
    }

    @Test func upToTheLimitHoldAtOnceAndTheRestWait() {
        let limiter = ConcurrencyLimiter(limit: 2)
        for name in ["a", "b", "c"] { acquire(limiter, name) }
        #expect(log == ["a true", "b true"])
        limiter.release()
        executor.runJobs()
        #expect(log == ["a true", "b true", "c true"])
    }

    @Test func waitersAreServedInOrderAndAFreedSlotGoesToTheFirstNotANewcomer() {
        let limiter = ConcurrencyLimiter(limit: 1)
        for name in ["holder", "a", "b", "c"] { acquire(limiter, name) }
        #expect(log == ["holder true"])
        limiter.release()
        // The newcomer asks on an executor of its own, run before a's task resumes: a limiter
        // that only counted the slot free would let it win the race. The slot is a's already.
        let newcomers = ManualExecutor()
        Task(executorPreference: newcomers) { [answers] in answers.record("newcomer", granted: await limiter.acquire()) }
        newcomers.runJobs()
        executor.runJobs()
        #expect(log == ["holder true", "a true"])
        for _ in 0..<3 {
            limiter.release()
            newcomers.runJobs()
            executor.runJobs()
        }
        #expect(log == ["holder true", "a true", "b true", "c true", "newcomer true"])
    }

    @Test func aWaiterCanceledWhileQueuedGetsFalseAndLosesItsPlace() {
        let limiter = ConcurrencyLimiter(limit: 1)
        acquire(limiter, "holder")
        let a = acquire(limiter, "a")
        acquire(limiter, "b")
        a.cancel()
        executor.runJobs()
        #expect(log == ["holder true", "a false"])
        limiter.release()
        executor.runJobs()
        #expect(log == ["holder true", "a false", "b true"])
        limiter.release()
        acquire(limiter, "c")  // the slot came back free: taken at once
        #expect(log == ["holder true", "a false", "b true", "c true"])
    }
}
