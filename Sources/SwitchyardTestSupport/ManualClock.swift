import Synchronization
import SwitchyardCore

/// A `Clock` whose time moves only when the test advances it. A sleeper wakes when an
/// advance reaches its deadline (sleepers wake in deadline order), never before; a canceled
/// sleeper throws `CancellationError` at once. `wall` reads the same time as a `WallClock`.
public final class ManualClock: Clock, Sendable {
    /// A point on the manual clock: the time advanced since the clock was made.
    public struct Instant: InstantProtocol, Sendable, CustomStringConvertible {
        public var offset: Duration

        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        public var description: String { "\(offset)" }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        /// Waiting sleepers, sorted by deadline (ties in the order they fell asleep).
        var sleepers: [Sleeper] = []
        /// Sleepers canceled before they were registered.
        var canceled: Set<UInt64> = []
        var nextID: UInt64 = 0
        /// Tests waiting for a number of sleepers.
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        /// Removes and returns the watchers whose count of sleepers is reached.
        mutating func takeSatisfiedWatchers() -> [CheckedContinuation<Void, Never>] {
            let count = sleepers.count
            let satisfied = watchers.filter { $0.count <= count }.map(\.continuation)
            watchers.removeAll { $0.count <= count }
            return satisfied
        }
    }

    private let state = Mutex(State())
    /// The wall-clock time at instant zero.
    public let epoch: Timestamp

    public init(epoch: Timestamp = Timestamp(secondsSinceEpoch: 1_800_000_000)) { self.epoch = epoch }

    /// Instant zero: when the clock was made.
    public var zero: Instant { Instant(offset: .zero) }
    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// How many tasks sleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }
    /// The deadlines of the tasks sleeping on this clock now, earliest first.
    public var sleepers: [Instant] { state.withLock { $0.sleepers.map(\.deadline) } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, watchers) = state.withLock { state -> (Result<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
                    if state.canceled.remove(id) != nil { return (.failure(CancellationError()), []) }
                    if deadline <= state.now { return (.success(()), []) }
                    let index = state.sleepers.firstIndex { $0.deadline > deadline } ?? state.sleepers.endIndex
                    state.sleepers.insert(Sleeper(id: id, deadline: deadline, continuation: continuation), at: index)
                    return (nil, state.takeSatisfiedWatchers())
                }
                for watcher in watchers { watcher.resume() }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.canceled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        // A sleeper canceled after it woke leaves no mark behind.
        _ = state.withLock { $0.canceled.remove(id) }
    }

    /// Moves the time forward by `duration` and wakes every sleeper whose deadline it reaches.
    public func advance(by duration: Duration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves the time to `instant` (never backwards) and wakes, in deadline order, every
    /// sleeper whose deadline is at or before it.
    public func advance(to instant: Instant) {
        let woken = state.withLock { state -> [Sleeper] in
            state.now = max(state.now, instant)
            let due = state.sleepers.prefix { $0.deadline <= state.now }
            state.sleepers.removeFirst(due.count)
            return Array(due)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Returns once at least `count` tasks sleep on this clock: a test advances only after the
    /// code under test has gone to sleep, so no wake-up is lost to a race.
    public func waitForSleepers(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                guard state.sleepers.count < count else { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// The same time as a `WallClock`: `epoch` plus the time advanced.
    public var wall: some WallClock { ManualWallClock(clock: self) }
}

/// `ManualClock` read as wall-clock time.
private struct ManualWallClock: WallClock {
    let clock: ManualClock

    func now() -> Timestamp {
        let offset = clock.now.offset.components
        return clock.epoch + (Double(offset.seconds) + Double(offset.attoseconds) / 1e18)
    }
}
