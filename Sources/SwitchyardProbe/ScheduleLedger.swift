import Synchronization
import SwitchyardCore

/// When each target's probe loop promised to make progress next. A loop that misses its
/// deadline is overdue: the scheduler is wedged, and the systemd watchdog must stop
/// being fed so that systemd restarts the daemon.
public final class ScheduleLedger: Sendable {
    /// Slack on top of every promise, for scheduling noise and a busy machine.
    public let grace: Duration
    private let deadlines = Mutex<[Target: ContinuousClock.Instant]>([:])

    public init(grace: Duration = .seconds(2)) { self.grace = grace }

    /// The loop of `target` promises to act again within `within` (plus grace).
    func promise(_ target: Target, within: Duration) {
        let deadline = ContinuousClock.now + within + grace
        deadlines.withLock { $0[target] = deadline }
    }

    /// The loop of `target` ended (shutdown): it owes nothing.
    func release(_ target: Target) {
        _ = deadlines.withLock { $0.removeValue(forKey: target) }
    }

    /// Targets whose loops missed their promise, sorted.
    public func overdue(at now: ContinuousClock.Instant = .now) -> [Target] {
        deadlines.withLock { $0.filter { $0.value < now }.map(\.key) }.sorted()
    }
}
