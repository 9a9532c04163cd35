import Synchronization

/// Per model, the completion requests that arrived after the simulator answered its first
/// injected failure (5xx) under the behaviour in force: what an outage benchmark counts as
/// "reached the failing provider after its first failure", exact at the source. A new
/// behaviour closes every window (its figure stays readable); the next injected failure of a
/// model opens a new one for it.
final class FailureWindows: Sendable {
    private struct Window {
        var firstFailure: ContinuousClock.Instant
        var arrivedAfter = 0
        var open = true
    }

    private let windows = Mutex<[String: Window]>([:])

    /// An injected failure was answered for `model`: the first one opens its window.
    func failureAnswered(model: String, at instant: ContinuousClock.Instant = .now) {
        windows.withLock { windows in
            if windows[model]?.open != true { windows[model] = Window(firstFailure: instant) }
        }
    }

    /// A completion request for `model` arrived at `instant`: counted when it came after the first failure.
    func arrived(model: String, at instant: ContinuousClock.Instant) {
        windows.withLock { windows in
            guard let window = windows[model], window.open, instant > window.firstFailure else { return }
            windows[model]?.arrivedAfter += 1
        }
    }

    /// The behaviour changed: every window stops counting.
    func closeAll() {
        windows.withLock { windows in
            for model in windows.keys { windows[model]?.open = false }
        }
    }

    /// Per model with a window: the requests that arrived after its first failure.
    var counts: [String: Int] { windows.withLock { $0.mapValues(\.arrivedAfter) } }
}
