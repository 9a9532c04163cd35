import Hummingbird
import NIOPosix
import Synchronization

/// Runs the reads that can take long (`/v1/history`, `/metrics`, `/`) on a small thread pool of
/// their own, so a slow one never holds a thread of Swift's cooperative pool, where routes,
/// probes and the watchdog run. At most `maxInFlight` run at once; beyond that the answer is
/// 503 with `Retry-After`, so a flood of heavy reads queues nowhere inside the daemon.
public final class HeavyReads: Sendable {
    /// The threads heavy reads run on: two, so one slow read leaves another lane, and no more,
    /// so they can never take every core from routes and probes. Started once per process and
    /// shared, like NIO's own singletons (a daemon's tests start many daemons in one process).
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    /// Heavy reads admitted at once (`listen.max_heavy_reads`).
    public let maxInFlight: Int
    private let inFlight = Atomic<Int>(0)

    public init(maxInFlight: Int = 4) {
        self.maxInFlight = max(1, maxInFlight)
    }

    /// Heavy reads admitted now.
    public var current: Int { inFlight.load(ordering: .relaxed) }

    /// One admitted heavy read; its slot frees when the last reference goes (after the answer's
    /// body is written, or when it is dropped), so a slot cannot leak on an early exit.
    public final class Slot: Sendable {
        private let owner: HeavyReads

        fileprivate init(_ owner: HeavyReads) { self.owner = owner }

        deinit { owner.inFlight.subtract(1, ordering: .relaxed) }
    }

    /// A slot for one heavy read, or 503 with `Retry-After: 1` when `maxInFlight` are running.
    public func admit() throws -> Slot {
        var seen = inFlight.load(ordering: .relaxed)
        while true {
            guard seen < maxInFlight else {
                var busy = APIError(.serviceUnavailable, code: "busy",
                                    message: "\(maxInFlight) heavy reads (history, metrics, status page) are running; retry in a second")
                busy.retryAfter = "1"
                throw busy
            }
            let (exchanged, original) = inFlight.compareExchange(expected: seen, desired: seen + 1, ordering: .acquiringAndReleasing)
            if exchanged { return Slot(self) }
            seen = original
        }
    }

    /// Runs `body` on the heavy-read threads.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.threads.runIfActive(body)
    }
}
