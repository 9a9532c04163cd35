import Glibc
import Hummingbird
import NIOCore
import NIOPosix
import Synchronization

/// Runs the reads that can take long (`/v1/history`, `/metrics`, `/`) on a small thread pool of
/// their own, so a slow one never holds a thread of Swift's cooperative pool, where routes,
/// probes and the watchdog run. At most `maxInFlight` run at once; beyond that the answer is
/// 503 with `Retry-After`, so a flood of heavy reads queues nowhere inside the daemon.
public final class HeavyReads: Sendable {
    /// The threads heavy reads run on: half the cores, one to two, so they can never take every
    /// core from routes and probes (on a 2-core host, one). Started once per process and shared,
    /// like NIO's own singletons (a daemon's tests start many daemons in one process).
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: min(2, max(1, System.coreCount / 2)))
        pool.start()
        return pool
    }()

    /// Heavy reads admitted at once (`listen.max_heavy_reads`).
    public let maxInFlight: Int
    private let inFlight = Atomic<Int>(0)

    /// How long a refused heavy read waits before its 503 goes out: a client that ignores
    /// `Retry-After` and asks again at once is slowed to a few refusals a second per connection
    /// instead of turning refusals into a flood that takes the cores from routes.
    public let refusalDelay: Duration

    public init(maxInFlight: Int = 4, refusalDelay: Duration = .milliseconds(250)) {
        self.maxInFlight = max(1, maxInFlight)
        self.refusalDelay = refusalDelay
    }

    /// Refusals waiting out `refusalDelay` now.
    public var refusalsWaiting: Int { waiting.load(ordering: .relaxed) }
    private let waiting = Atomic<Int>(0)

    /// Waits `refusalDelay` (or until canceled) when `error` is this pool's refusal (503 `busy`);
    /// returns at once otherwise.
    func delayIfRefused(_ error: any Error) async {
        guard let refusal = error as? APIError, refusal.code == "busy" else { return }
        waiting.add(1, ordering: .relaxed)
        defer { waiting.subtract(1, ordering: .relaxed) }
        try? await Task.sleep(for: refusalDelay)
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

    /// Runs `body` on the heavy-read threads, at a lower CPU priority than the rest of the daemon
    /// (nice 10 for the thread), so the kernel runs routes and probes first when cores are short.
    /// Under the shipped unit `setpriority` is filtered out (`~@resources`) and fails harmlessly.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await Self.threads.runIfActive {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)  // 0: this thread (nice is per thread on Linux)
            return try body()
        }
    }
}
