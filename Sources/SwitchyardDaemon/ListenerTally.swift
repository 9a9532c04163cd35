import Synchronization

/// Counts listeners as they start accepting and fires once when all have.
final class ListenerTally: Sendable {
    private let remaining: Mutex<Int>
    private let whenAll: @Sendable () -> Void

    init(expected: Int, whenAll: @escaping @Sendable () -> Void) {
        remaining = Mutex(expected)
        self.whenAll = whenAll
        if expected == 0 { whenAll() }
    }

    func arrived() {
        let done = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if done { whenAll() }
    }
}
