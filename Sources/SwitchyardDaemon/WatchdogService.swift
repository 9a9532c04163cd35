import Logging
import ServiceLifecycle
import SwitchyardProbe
import SwitchyardStore
import SwitchyardSystemd

/// Feeds systemd's watchdog at half its timeout, but only while the probe scheduler and the
/// SQLite writer make progress: a wedged daemon stops the pings and systemd restarts it.
/// Time comes from `clock`, so a test can step the cadence exactly.
struct WatchdogService<WatchClock: Clock>: Service where WatchClock.Duration == Duration {
    /// What the watchdog looks at before each ping.
    struct Progress: Sendable {
        /// Targets whose probe loop missed its promise.
        var overdueTargets: Int
        /// Whether the SQLite writer kept up.
        var writing: Bool

        var isWedged: Bool { overdueTargets > 0 || !writing }
    }

    /// Half the watchdog timeout; nil when systemd set no watchdog.
    let period: Duration?
    let clock: WatchClock
    let progress: @Sendable () -> Progress
    let feed: @Sendable () -> Void
    let logger: Logger

    func run() async throws {
        guard let period else {
            // No watchdog configured: stay until shutdown (a service that returns ends the group).
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            var starving = false
            while !Task.isCancelled {
                let progress = progress()
                if !progress.isWedged {
                    feed()
                    starving = false
                } else if !starving {
                    starving = true
                    logger.critical("not feeding the systemd watchdog: the daemon is wedged", metadata: [
                        "overdue_targets": "\(progress.overdueTargets)", "writer_progress": "\(progress.writing)",
                    ])
                }
                try? await clock.sleep(for: period)
            }
        }
    }
}

extension WatchdogService where WatchClock == ContinuousClock {
    /// The daemon's watchdog: `notifier`'s timeout and pings, the scheduler's `ledger` and the `writer`'s progress.
    init(notifier: SystemdNotifier, ledger: ScheduleLedger, writer: StoreWriter, logger: Logger) {
        let timeout = notifier.watchdogTimeout
        self.init(period: timeout.map { $0 / 2 }, clock: ContinuousClock(), progress: {
            Progress(overdueTargets: ledger.overdue().count, writing: writer.isMakingProgress(within: timeout ?? .seconds(1)))
        }, feed: { notifier.watchdog() }, logger: logger)
    }
}
