import Logging
import ServiceLifecycle
import Synchronization
import SwitchyardCore

/// The one writer task: takes observations and transitions from a bounded queue and
/// commits them in batches, off the probing and serving paths. When the queue is full,
/// new records are dropped and counted rather than blocking a probe or a request.
public final class StoreWriter: Service, ObservationSink {
    /// What the writer needs besides the store; defaults suit the daemon.
    public struct Settings: Sendable {
        /// Records the queue holds before new ones are dropped (and counted).
        public var capacity = 100_000
        /// Records committed per transaction at most.
        public var maxBatch = 1000
        /// What pruning keeps.
        public var retention = RetentionPolicy()
        /// How often expired rows are pruned (wall-clock seconds).
        public var pruneIntervalSeconds = 300.0
        /// How often new tail rows are folded into the live minute rollups (wall-clock seconds).
        /// Once a minute, each target-minute is mostly written once; reads count the rows of the
        /// last minute from the tail meanwhile (at 100 observations/s, 6,000 rows).
        public var summaryIntervalSeconds = 60.0
        /// An hour's observations move from the tail into blocks this long after the hour ends
        /// (a probe that started in it may still be finishing). Later ones merge in at the next hour.
        public var compactionGraceSeconds = 300.0
        /// How often a persistent write failure is logged again.
        public var failureLogIntervalSeconds = 60.0
        /// After a small batch, wait up to this long for more records before the next transaction:
        /// at 100 observations/s this turns 100 commits a second into 2, and each commit rewrites
        /// the tail's last page and index pages. A full batch goes at once, and so does a batch
        /// someone waits for (`waitUntilStored`: a client report is answered once committed).
        public var gatherSeconds = 0.5
        /// The defaults.
        public init() {}
    }

    private let store: SQLiteStore
    private let queue: BatchQueue<StoreRecord>
    /// Summarizing, compaction and pruning, run between batches.
    private let maintenance: StoreMaintenance
    /// Ends the writer's gathering pause early: someone waits for a commit, or shutdown began.
    private let commitNow = WakeSignal()
    private let logger: Logger
    private let settings: Settings
    private let clock: any WallClock
    private let onProblem: @Sendable (String?) -> Void
    private let failures: Mutex<WriteFailureLog>
    private let lastAttempt = Mutex<ContinuousClock.Instant>(.now)
    /// Records committed so far; records leave the queue in order, so once this reaches the
    /// queue's `appended` count at some moment, everything queued before it is on disk.
    private let committedRecords = Mutex(0)

    /// `onProblem` hears the current write error when writing starts failing, and nil when it recovers.
    public init(store: SQLiteStore, settings: Settings = Settings(), clock: any WallClock = SystemWallClock(), logger: Logger,
                onProblem: @escaping @Sendable (String?) -> Void = { _ in }) {
        self.store = store
        self.queue = BatchQueue(capacity: settings.capacity)
        self.settings = settings
        self.clock = clock
        self.maintenance = StoreMaintenance(store: store, settings: settings, clock: clock, logger: logger)
        self.logger = logger
        self.onProblem = onProblem
        self.failures = Mutex(WriteFailureLog(intervalSeconds: settings.failureLogIntervalSeconds))
    }

    /// The daemon's defaults with a different queue size or batch size.
    public convenience init(store: SQLiteStore, capacity: Int = 100_000, maxBatch: Int = 1000, logger: Logger) {
        var settings = Settings()
        settings.capacity = capacity
        settings.maxBatch = maxBatch
        self.init(store: store, settings: settings, logger: logger)
    }

    public func record(_ observation: Observation) { queue.append(.observation(observation)) }
    public func record(_ transition: Transition) { queue.append(.transition(transition)) }
    public func record(_ event: DaemonEvent) { queue.append(.daemonEvent(event)) }

    /// Records waiting to be written.
    public var queueDepth: Int { queue.count }
    /// Records dropped because the queue was full.
    public var droppedRecords: Int { queue.dropped }
    /// Batches that failed to commit (and were retried).
    public var writeErrors: Int { failures.withLock { $0.count } }
    /// The last write error while writing is failing now; nil when writes succeed.
    public var currentProblem: String? { failures.withLock { $0.failing ? $0.lastError : nil } }
    /// Bytes the database and its WAL take on disk.
    public var databaseBytes: Int64 { store.fileBytes() }

    /// Waits until everything recorded before the call is committed (so an answer sent after
    /// it survives `kill -9`); false when that takes longer than `timeout` (writes failing).
    public func waitUntilStored(timeout: Duration = .seconds(2)) async -> Bool {
        let target = queue.appended
        commitNow.signal()
        let deadline = ContinuousClock.now + timeout
        while committedRecords.withLock({ $0 }) < target {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// Whether the writer keeps up: nothing is waiting, or it tried to commit within `window`
    /// (a failing disk still counts as progress: the writer is alive and retrying).
    public func isMakingProgress(within window: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        queue.count == 0 || now - lastAttempt.withLock { $0 } < window
    }

    public func run() async throws {
        // Drain what is queued even after shutdown begins; stop when the queue is closed and empty.
        // Cancellation closes the queue too, or the writer would wait for records forever.
        await withTaskCancellationOrGracefulShutdownHandler {
            while let batch = await queue.nextBatch(max: settings.maxBatch) {
                await commit(batch)
                maintenance.runDue()
                if batch.count < settings.maxBatch, settings.gatherSeconds > 0, !queue.isClosed {
                    await commitNow.wait(upTo: .seconds(settings.gatherSeconds))
                }
            }
        } onCancelOrGracefulShutdown: {
            self.queue.close()
            self.commitNow.signal()
        }
    }

    /// Writes a batch, retrying with backoff until it lands or the writer is shut down.
    private func commit(_ batch: [StoreRecord]) async {
        var backoff = 0.1
        while true {
            lastAttempt.withLock { $0 = .now }
            do {
                try store.write(batch)
                committedRecords.withLock { $0 += batch.count }
                let recovered = failures.withLock { $0.recover() }
                if recovered {
                    onProblem(nil)
                    logger.notice("state database writable again", metadata: ["path": "\(store.path)"])
                }
                return
            } catch {
                let description = "\(error)"
                let (shouldLog, started) = failures.withLock { $0.fail(now: clock.now(), error: description) }
                if started { onProblem("cannot write \(store.path): \(description)") }
                if shouldLog {
                    logger.error("cannot write the state database; routing continues from memory", metadata: ["path": "\(store.path)", "error": "\(description)"])
                }
                if queue.isClosed { return }
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 5)
            }
        }
    }
}

/// Logs a persistent write failure once per interval, not once per batch. Time is a parameter.
struct WriteFailureLog {
    var count = 0
    var failing = false
    var lastError: String?
    var lastLogged: Timestamp?
    let intervalSeconds: Double

    /// Counts a failure; returns whether to log it and whether it starts a failing period.
    mutating func fail(now: Timestamp, error: String) -> (log: Bool, started: Bool) {
        count += 1
        let started = !failing
        failing = true
        lastError = error
        guard let lastLogged, now - lastLogged < intervalSeconds else {
            self.lastLogged = now
            return (true, started)
        }
        return (false, started)
    }

    /// Ends a failing period; returns whether one was in progress.
    mutating func recover() -> Bool {
        defer { failing = false; lastLogged = nil; lastError = nil }
        return failing
    }
}

/// A wake-up for one waiter with a time limit: `signal` ends the current (or the next) `wait`.
final class WakeSignal: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Bool, Never>?
        /// A `signal` that came while nobody waited: the next `wait` returns at once.
        var signaled = false
        /// The current wait's limit ran out before its waiter was registered.
        var expired = false
    }

    private let state = Mutex(State())

    /// Wakes the waiter, or the next one to wait if none waits now.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            defer { state.waiter = nil }
            if state.waiter == nil { state.signaled = true }
            return state.waiter
        }
        waiter?.resume(returning: true)
    }

    /// Whether a `wait` is in progress (for tests: signal only once the waiter waits).
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    /// Ends the current wait as timed out.
    private func expire() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            defer { state.waiter = nil }
            if state.waiter == nil { state.expired = true }
            return state.waiter
        }
        waiter?.resume(returning: false)
    }

    /// Returns at the next `signal` (or at once if one came since the last wait): true; or after
    /// `limit`: false.
    @discardableResult
    func wait(upTo limit: Duration) async -> Bool {
        // The previous wait's timer has finished (its group awaited it): its expiry is not ours.
        state.withLock { $0.expired = false }
        return await withTaskGroup(of: Bool?.self) { group in
            // The timer ends the wait unless the waiter was woken first (then it is canceled).
            group.addTask {
                do {
                    try await Task.sleep(for: limit)
                    self.expire()
                } catch {}
                return nil
            }
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { state -> Bool? in
                        if state.signaled {
                            state.signaled = false
                            return true
                        }
                        if state.expired { return false }
                        state.waiter = continuation
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            }
            var woken = false
            while let result = await group.next() {
                if let result {
                    woken = result
                    break
                }
            }
            group.cancelAll()
            return woken
        }
    }
}

/// A bounded multi-producer, single-consumer queue handing out batches.
final class BatchQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<Void, Never>?
        var dropped = 0
        var appended = 0
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { state.withLock { $0.items.count } }
    var dropped: Int { state.withLock { $0.dropped } }
    /// Elements accepted since the start (not dropped).
    var appended: Int { state.withLock { $0.appended } }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Adds one element; drops it (and counts) when full or closed.
    func append(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.closed, state.items.count < capacity else {
                state.dropped += 1
                return nil
            }
            state.items.append(element)
            state.appended += 1
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
