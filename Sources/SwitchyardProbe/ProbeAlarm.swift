import Synchronization

/// The scheduler loop's sleep: until the next probe is due, cut short when a sooner one is
/// queued (a probe ended with a short delay, a reload added targets) or when the loop's task
/// is canceled. A ring that comes while the loop is awake makes its next sleep return at once,
/// so no ring is lost between reading the queue and going to sleep.
///
/// The loop waits on a continuation and a timer resumes it: on the engine, the timer is an
/// entry in the driver thread's poll timeout, so a sleep costs no task and no thread hand-over.
/// A sleep cut short cancels its timer, so no dead timer stays behind until its deadline.
final class ProbeAlarm: Sendable {
    /// The timer of a sleep: the executor's, or a sleeping task when there is no executor
    /// (or it has stopped).
    private enum Timer {
        case executor(ProbeTimer)
        case task(Task<Void, Never>)
    }

    private struct State {
        /// The loop, while it sleeps.
        var sleeper: CheckedContinuation<Void, Never>?
        /// What the current sleep lasts until (nil: until rung).
        var deadline: ContinuousClock.Instant?
        /// The current sleep's timer, while it may still fire.
        var timer: Timer?
        /// Counts sleeps, so that the timer of an earlier sleep (cut short by a ring) ends no later
        /// one: canceling it does not stop one that is already firing.
        var sleeps = 0
        var rung = false

        /// The sleeping loop, now awake, and its timer (nil when it fired or there was none).
        mutating func takeSleeper() -> (CheckedContinuation<Void, Never>?, Timer?) {
            defer {
                sleeper = nil
                deadline = nil
                timer = nil
            }
            return (sleeper, timer)
        }
    }

    private let state = Mutex(State())
    /// Where the timers run; nil uses a sleeping task on the global executor for each.
    private let executor: (any ProbeExecutor)?

    init(executor: (any ProbeExecutor)?) { self.executor = executor }

    /// Whether the loop sleeps now (for tests).
    var isSleeping: Bool { state.withLock { $0.sleeper != nil } }

    /// Sleeps until `deadline` (until rung when nil), a sooner `ring`, or cancellation.
    func sleep(until deadline: ContinuousClock.Instant?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let awake = state.withLock { state -> Bool in
                    // Checked under the lock: a cancellation is either seen here or finds the sleeper waiting.
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    state.sleeps += 1
                    state.sleeper = continuation
                    state.deadline = deadline
                    // Set under the lock, so a ring or a cancellation always finds the timer to cancel
                    // (the executor's lock nests inside this one; its timers fire outside their lock).
                    if let deadline {
                        let sleep = state.sleeps
                        state.timer = setTimer(at: deadline) { [self] in wake(sleep: sleep) }
                    }
                    return false
                }
                if awake { continuation.resume() }
            }
        } onCancel: {
            wake(sleep: nil)
        }
    }

    /// A probe is now due at `due`: wakes the loop if it sleeps past that.
    func ring(for due: ContinuousClock.Instant) {
        let (sleeper, timer) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Timer?) in
            guard state.sleeper != nil else {
                state.rung = true
                return (nil, nil)
            }
            guard state.deadline.map({ due < $0 }) ?? true else { return (nil, nil) }
            return state.takeSleeper()
        }
        if let timer { cancel(timer) }
        sleeper?.resume()
    }

    /// Ends sleep number `sleep`, whose timer fired, if the loop is still in it; any sleep when
    /// nil (cancellation), canceling its timer.
    private func wake(sleep: Int?) {
        let (sleeper, timer) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Timer?) in
            guard sleep == nil || sleep == state.sleeps else { return (nil, nil) }
            let (sleeper, timer) = state.takeSleeper()
            return (sleeper, sleep == nil ? timer : nil)
        }
        if let timer { cancel(timer) }
        sleeper?.resume()
    }

    /// Starts the timer of a sleep; `fire` must not be called from within (it takes the lock).
    private func setTimer(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> Timer {
        if let executor, let timer = executor.schedule(at: deadline, fire) { return .executor(timer) }
        return .task(Task {
            do {
                try await Task.sleep(until: deadline, clock: .continuous)
                fire()
            } catch {}  // canceled: the sleep ended before its deadline
        })
    }

    private func cancel(_ timer: Timer) {
        switch timer {
        case .executor(let timer): executor?.cancelTimer(timer)
        case .task(let task): task.cancel()
        }
    }
}
