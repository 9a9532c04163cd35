import Synchronization

/// The scheduler loop's sleep: until the next probe is due, cut short when a sooner one is
/// queued (a probe ended with a short delay, a reload added targets) or when the loop's task
/// is canceled. A ring that comes while the loop is awake makes its next sleep return at once,
/// so no ring is lost between reading the queue and going to sleep.
final class ProbeAlarm: Sendable {
    private struct State {
        /// The sleep in progress and what it sleeps until (nil: until rung).
        var sleeper: Task<Void, Never>?
        var deadline: ContinuousClock.Instant?
        var rung = false
    }

    private let state = Mutex(State())
    /// Where the sleep happens; nil sleeps with `Task.sleep` on the global executor.
    private let executor: (any ProbeExecutor)?

    init(executor: (any ProbeExecutor)?) { self.executor = executor }

    /// Sleeps until `deadline` (until rung when nil), a sooner `ring`, or cancellation.
    func sleep(until deadline: ContinuousClock.Instant?) async {
        let sleeper = state.withLock { state -> Task<Void, Never>? in
            if state.rung {
                state.rung = false
                return nil
            }
            let sleeper = Task(executorPreference: executor) { [executor] in
                if let deadline {
                    if let executor { await executor.sleep(until: deadline) } else { try? await Task.sleep(until: deadline, clock: .continuous) }
                } else {
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(86_400)) }
                }
            }
            state.sleeper = sleeper
            state.deadline = deadline
            return sleeper
        }
        guard let sleeper else { return }
        await withTaskCancellationHandler { await sleeper.value } onCancel: { sleeper.cancel() }
        state.withLock { state in
            state.sleeper = nil
            state.deadline = nil
        }
    }

    /// A probe is now due at `due`: wakes the loop if it sleeps past that.
    func ring(for due: ContinuousClock.Instant) {
        state.withLock { state in
            guard let sleeper = state.sleeper else {
                state.rung = true
                return
            }
            if state.deadline.map({ due < $0 }) ?? true { sleeper.cancel() }
        }
    }
}
