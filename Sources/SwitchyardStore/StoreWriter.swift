import Logging
import ServiceLifecycle
import Synchronization
import SwitchyardCore

/// The one writer task: takes observations and transitions from a bounded queue and
/// commits them in batches, off the probing and serving paths. When the queue is full,
/// new records are dropped and counted rather than blocking a probe or a request.
public final class StoreWriter: Service, ObservationSink {
    private let store: SQLiteStore
    private let queue: BatchQueue<StoreRecord>
    private let logger: Logger
    private let maxBatch: Int
    private let failures = Mutex(WriteFailureLog())
    private let lastAttempt = Mutex<ContinuousClock.Instant>(.now)

    public init(store: SQLiteStore, capacity: Int = 100_000, maxBatch: Int = 1000, logger: Logger) {
        self.store = store
        self.queue = BatchQueue(capacity: capacity)
        self.maxBatch = maxBatch
        self.logger = logger
    }

    public func record(_ observation: Observation) { queue.append(.observation(observation)) }
    public func record(_ transition: Transition) { queue.append(.transition(transition)) }

    /// Records waiting to be written.
    public var queueDepth: Int { queue.count }
    /// Records dropped because the queue was full.
    public var droppedRecords: Int { queue.dropped }
    /// Batches that failed to commit (and were retried).
    public var writeErrors: Int { failures.withLock { $0.count } }

    /// Whether the writer keeps up: nothing is waiting, or it tried to commit within `window`
    /// (a failing disk still counts as progress: the writer is alive and retrying).
    public func isMakingProgress(within window: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        queue.count == 0 || now - lastAttempt.withLock { $0 } < window
    }

    public func run() async throws {
        // Drain what is queued even after shutdown begins; stop when the queue is closed and empty.
        // Cancellation closes the queue too, or the writer would wait for records forever.
        await withTaskCancellationOrGracefulShutdownHandler {
            while let batch = await queue.nextBatch(max: maxBatch) {
                await commit(batch)
            }
        } onCancelOrGracefulShutdown: {
            self.queue.close()
        }
    }

    /// Writes a batch, retrying with backoff until it lands or the writer is shut down.
    private func commit(_ batch: [StoreRecord]) async {
        var backoff = 0.1
        while true {
            lastAttempt.withLock { $0 = .now }
            do {
                try store.write(batch)
                let recovered = failures.withLock { $0.recover() }
                if recovered { logger.notice("state database writable again", metadata: ["path": "\(store.path)"]) }
                return
            } catch {
                let shouldLog = failures.withLock { $0.fail(now: ContinuousClock.now) }
                if shouldLog {
                    logger.error("cannot write the state database; routing continues from memory", metadata: ["path": "\(store.path)", "error": "\(error)"])
                }
                if queue.isClosed { return }
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 5)
            }
        }
    }
}

/// Logs a persistent write failure once per interval, not once per batch.
struct WriteFailureLog {
    var count = 0
    var failing = false
    var lastLogged: ContinuousClock.Instant?
    let interval = Duration.seconds(60)

    mutating func fail(now: ContinuousClock.Instant) -> Bool {
        count += 1
        failing = true
        guard let lastLogged, now - lastLogged < interval else {
            self.lastLogged = now
            return true
        }
        return false
    }

    mutating func recover() -> Bool {
        defer { failing = false; lastLogged = nil }
        return failing
    }
}

/// A bounded multi-producer, single-consumer queue handing out batches.
final class BatchQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<Void, Never>?
        var dropped = 0
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { state.withLock { $0.items.count } }
    var dropped: Int { state.withLock { $0.dropped } }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Adds one element; drops it (and counts) when full or closed.
    func append(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.closed, state.items.count < capacity else {
                state.dropped += 1
                return nil
            }
            state.items.append(element)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Stops accepting; `nextBatch` returns what is left, then nil.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Waits for at least one element and takes up to `max`; nil once closed and empty.
    func nextBatch(max: Int) async -> [Element]? {
        while true {
            let taken = state.withLock { state -> [Element]?? in
                if state.items.isEmpty { return state.closed ? .some(nil) : nil }
                let batch = Array(state.items.prefix(max))
                state.items.removeFirst(batch.count)
                return .some(batch)
            }
            if let taken { return taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.items.isEmpty || state.closed { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
