import Synchronization
import SwitchyardCore

/// The observations waiting to be published: a bounded queue that the pipeline fills without
/// ever waiting (a full queue drops the oldest and counts them), and the publisher empties in
/// batches once they are committed. A failure or a probe result wakes the publisher at once; the rest wait for its tick.
public final class FleetOutbox: ObservationSink {
    private struct State {
        var waiting: [Observation] = []
        var dropped = 0
        var published = 0
    }

    /// The most observations held; beyond it the oldest are dropped (counted in `dropped`).
    public let capacity: Int
    private let state = Mutex(State())
    private let wakeup = Wakeup()
    private let shouldPublish: @Sendable (Observation) -> Bool

    /// A queue of at most `capacity`; `shouldPublish` picks what is shared (peers' observations never are).
    public init(capacity: Int = 10_000, shouldPublish: @escaping @Sendable (Observation) -> Bool = { _ in true }) {
        self.capacity = capacity
        self.shouldPublish = shouldPublish
    }

    /// The daemon's sharing rule: client reports, and the completion probes a host really ran.
    /// Liveness probes stay per host (each host's network path is its own), including the liveness
    /// probe a host runs when a peer won the paid probe's slot.
    public static let sharesReportsAndCompletionProbes: @Sendable (Observation) -> Bool = { observation in
        observation.source == .report || observation.completionProbe
    }

    public func record(_ observation: Observation) {
        guard observation.seenBy == nil, shouldPublish(observation) else { return }
        state.withLock { state in
            state.waiting.append(observation)
            if state.waiting.count > capacity {
                let excess = state.waiting.count - capacity
                state.waiting.removeFirst(excess)
                state.dropped += excess
            }
        }
        // Failures and probe results (one per target and interval, that peers route on) go at
        // once; client reports' successes wait for the next tick's batch.
        if !observation.outcome.isSuccess || observation.source == .probe { wakeup.signal() }
    }

    public func record(_ transition: Transition) {}

    /// Up to `limit` of the oldest waiting observations, left in place until `remove(_:droppedBefore:)`;
    /// and the drop count when they were taken.
    func peek(limit: Int) -> (rows: [Observation], dropped: Int) {
        state.withLock { (Array($0.waiting.prefix(limit)), $0.dropped) }
    }

    /// Removes the `count` oldest, just published, except those drops took since `peek` said `droppedBefore`.
    func remove(_ count: Int, droppedBefore: Int) {
        state.withLock { state in
            let alreadyGone = min(state.dropped - droppedBefore, count)
            state.waiting.removeFirst(min(count - alreadyGone, state.waiting.count))
            state.published += count
        }
    }

    /// Waits until a failure is recorded or `tick` ends, whichever is first.
    func waitForFailure(orAfter tick: Duration) async {
        await wakeup.wait(upTo: tick)
    }

    /// How many wait, were dropped and were published; and when the oldest waiting one finished.
    public var counts: (waiting: Int, dropped: Int, published: Int, oldest: Timestamp?) {
        state.withLock { ($0.waiting.count, $0.dropped, $0.published, $0.waiting.first?.finishedAt) }
    }
}
