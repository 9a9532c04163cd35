import Synchronization

/// An async counting semaphore: at most `limit` holders at once, waiters served in order.
public final class ConcurrencyLimiter: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    /// How many may hold a slot at once.
    public let limit: Int

    public init(limit: Int) {
        self.limit = limit
        state = Mutex(State(available: max(limit, 1)))
    }

    /// Waits for a slot; false when the task was canceled before or while waiting.
    public func acquire() async -> Bool {
        // A free slot is taken at once, without suspending: the usual case, under the caps.
        let id = state.withLock { state -> Int? in
            if state.available > 0, state.waiters.isEmpty, !Task.isCancelled {
                state.available -= 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer = state.withLock { state -> Bool? in
                    // Cancellation sets the flag before it runs `onCancel`: checked under the lock, a
                    // cancellation is either seen here or finds this waiter queued, never lost between.
                    if Task.isCancelled { return false }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
