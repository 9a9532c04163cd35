import Synchronization

/// A one-slot wake-up between tasks: `signal()` from anywhere, `wait(upTo:)` in one waiting task
/// returns at the first signal (or one sent while nobody waited) or when the time is up.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waitOver = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the waiter, or the next one to wait.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pending = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns at a signal or after `timeout`, whichever is first.
    func wait(upTo timeout: Duration) async {
        state.withLock { $0.waitOver = false }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                await withCheckedContinuation { continuation in
                    let now = state.withLock { state -> Bool in
                        if state.pending || state.waitOver { return true }
                        state.waiter = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.pending = false
                state.waitOver = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
            group.cancelAll()
        }
    }
}
