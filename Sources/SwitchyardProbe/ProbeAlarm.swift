import Synchronization

/// The scheduler loop's sleep: until the next probe is due, cut short when a sooner one is
/// queued (a probe ended with a short delay, a reload added targets) or when the loop's task
/// is canceled. A ring that comes while the loop is awake makes its next sleep return at once,
/// so no ring is lost between reading the queue and going to sleep.
///
/// The loop waits on a continuation and a timer resumes it: on the engine, the timer is an
/// entry in the driver thread's poll timeout, so a sleep costs no task and no thread hand-over.
final class ProbeAlarm: Sendable {
    private struct State {
        /// The loop, while it sleeps.
        var sleeper: CheckedContinuation<Void, Never>?
        /// What the current sleep lasts until (nil: until rung).
        var deadline: ContinuousClock.Instant?
        /// Counts sleeps, so that the timer of an earlier sleep (cut short by a ring) ends no later one.
        var sleeps = 0
        var rung = false

        /// The sleeping loop, now awake.
        mutating func takeSleeper() -> CheckedContinuation<Void, Never>? {
            defer {
                sleeper = nil
                deadline = nil
            }
            return sleeper
        }
    }

    private let state = Mutex(State())
    /// Where the timers run; nil uses a sleeping task on the global executor for each.
    private let executor: (any ProbeExecutor)?

    init(executor: (any ProbeExecutor)?) { self.executor = executor }

    /// Sleeps until `deadline` (until rung when nil), a sooner `ring`, or cancellation.
    func sleep(until deadline: ContinuousClock.Instant?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let sleep = state.withLock { state -> Int? in
                    // Checked under the lock: a cancellation is either seen here or finds the sleeper waiting.
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return nil
                    }
                    state.sleeps += 1
                    state.sleeper = continuation
                    state.deadline = deadline
                    return state.sleeps
                }
                guard let sleep else { return continuation.resume() }
                if let deadline { setTimer(at: deadline) { [self] in wake(sleep: sleep) } }
            }
        } onCancel: {
            wake(sleep: nil)
        }
    }

    /// A probe is now due at `due`: wakes the loop if it sleeps past that.
    func ring(for due: ContinuousClock.Instant) {
        let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.sleeper != nil else {
                state.rung = true
                return nil
            }
            guard state.deadline.map({ due < $0 }) ?? true else { return nil }
            return state.takeSleeper()
        }
        sleeper?.resume()
    }

    /// Ends sleep number `sleep` if the loop is still in it (any sleep when nil: cancellation).
    private func wake(sleep: Int?) {
        let sleeper = state.withLock { state in
            sleep == nil || sleep == state.sleeps ? state.takeSleeper() : nil
        }
        sleeper?.resume()
    }

    private func setTimer(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) {
        if let executor {
            executor.schedule(at: deadline, fire)
        } else {
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                fire()
            }
        }
    }
}
