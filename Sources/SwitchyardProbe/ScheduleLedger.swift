import Synchronization
import SwitchyardCore

/// When the scheduler promised to act on each target next (its queued probe, the slot it
/// waits for, the transfer in flight). A missed promise is overdue: the scheduler is wedged,
/// and the systemd watchdog must stop being fed so that systemd restarts the daemon.
public final class ScheduleLedger: Sendable {
    /// Slack on top of every promise, for scheduling noise and a busy machine.
    public let grace: Duration
    private let deadlines = Mutex<[Target: ContinuousClock.Instant]>([:])

    public init(grace: Duration = .seconds(2)) { self.grace = grace }

    /// The scheduler promises to act on `target` again within `within` (plus grace).
    func promise(_ target: Target, within: Duration) {
        promise(target, by: ContinuousClock.now + within)
    }

    /// The scheduler promises to act on `target` again by `instant` (plus grace).
    func promise(_ target: Target, by instant: ContinuousClock.Instant) {
        let deadline = instant + grace
        deadlines.withLock { $0[target] = deadline }
    }

    /// `target` is no longer probed (removed, or shutdown): it owes nothing.
    func release(_ target: Target) {
        _ = deadlines.withLock { $0.removeValue(forKey: target) }
    }

    /// Targets whose loops missed their promise, sorted.
    public func overdue(at now: ContinuousClock.Instant = .now) -> [Target] {
        deadlines.withLock { $0.filter { $0.value < now }.map(\.key) }.sorted()
    }
}
