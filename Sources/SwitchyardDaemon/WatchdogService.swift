import Logging
import ServiceLifecycle
import SwitchyardProbe
import SwitchyardStore
import SwitchyardSystemd

/// Feeds systemd's watchdog at half its timeout, but only while the probe scheduler and the
/// SQLite writer make progress: a wedged daemon stops the pings and systemd restarts it.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let ledger: ScheduleLedger
    let writer: StoreWriter
    let logger: Logger

    func run() async throws {
        guard let timeout = notifier.watchdogTimeout else {
            // No watchdog configured: stay until shutdown (a service that returns ends the group).
            try? await gracefulShutdown()
            return
        }
        let period = timeout / 2
        await cancelWhenGracefulShutdown {
            var starving = false
            while !Task.isCancelled {
                let overdue = ledger.overdue()
                let writing = writer.isMakingProgress(within: timeout)
                if overdue.isEmpty && writing {
                    notifier.watchdog()
                    starving = false
                } else if !starving {
                    starving = true
                    logger.critical("not feeding the systemd watchdog: the daemon is wedged", metadata: [
                        "overdue_targets": "\(overdue.count)", "writer_progress": "\(writing)",
                    ])
                }
                try? await Task.sleep(for: period)
            }
        }
    }
}
