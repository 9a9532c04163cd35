import Dispatch
import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardStore
import SwitchyardSystemd

/// The store's part of the wiring, kept here so `buildServiceGroup` stays a list of steps.
enum StorageWiring {
    /// Opens the state database. Checking a large file or migrating it to a new schema can take
    /// minutes; meanwhile systemd hears every 10 s that start-up is alive (`EXTEND_TIMEOUT_USEC`),
    /// so `TimeoutStartSec=` does not kill a migration that would then start over.
    static func open(path: String, busyTimeoutSeconds: Double, notifier: SystemdNotifier, logger: Logger) throws -> SQLiteStore {
        let started = ContinuousClock.now
        let keepAlive = DispatchSource.makeTimerSource(queue: .global())
        keepAlive.schedule(deadline: .now() + 5, repeating: 10)
        keepAlive.setEventHandler {
            let seconds = (ContinuousClock.now - started).components.seconds
            notifier.extendTimeout(by: .seconds(30), status: "opening the state database (checking or migrating it): \(seconds) s")
            logger.notice("still opening the state database (checking or migrating it)", metadata: ["path": "\(path)", "seconds": "\(seconds)"])
        }
        keepAlive.resume()
        defer { keepAlive.cancel() }
        do {
            return try SQLiteStore(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
        } catch {
            throw StartupError(description: "\(error)")
        }
    }

    /// The writer with the configured retention, reporting write problems to `/readyz`.
    static func writer(store: SQLiteStore, config: Configuration, readiness: Readiness, clock: any WallClock, logger: Logger) -> StoreWriter {
        var settings = StoreWriter.Settings()
        settings.retention = RetentionPolicy(
            rawSeconds: config.storage.rawRetentionSeconds,
            minuteRollupSeconds: config.storage.minuteRetentionSeconds,
            hourRollupSeconds: config.storage.hourRetentionSeconds
        )
        return StoreWriter(store: store, settings: settings, clock: clock, logger: logger) { problem in
            readiness.update { $0.storageProblem = problem }
        }
    }

    /// Restores every target's state and recent statistics from SQLite before the first
    /// probe; marks readiness warm-started when anything was remembered.
    static func warmStart(_ healthBook: HealthBook, from store: SQLiteStore, readiness: Readiness, now: Timestamp, logger: Logger) throws {
        let remembered: HealthBook.WarmStart
        do {
            remembered = try store.warmStart(now: now)
        } catch {
            throw StartupError(description: "cannot read the state database \(store.path) to warm-start: \(error)")
        }
        let restored = healthBook.warmStart(remembered)
        guard !restored.isEmpty else { return }
        readiness.update { $0.warmStarted = true }
        let ejected = healthBook.snapshots().filter { $0.health.state == .ejected }.count
        logger.info("warm start from the state database", metadata: [
            "targets": "\(restored.count)", "observations": "\(remembered.observations.count)", "ejected": "\(ejected)",
        ])
    }

    /// Seeds today's probe spend from SQLite so a restart does not reset a provider's daily budget.
    static func restoreProbeSpend(_ scheduler: ProbeScheduler, providers: [ProviderID], from store: SQLiteStore, now: Timestamp, logger: Logger) {
        for provider in providers {
            do {
                let spent = try store.probeSpend(provider: provider, day: now)
                scheduler.restoreSpend(provider, spentUSD: spent.usd, on: now)
            } catch {
                logger.warning("cannot read today's probe spend; the budget starts from zero", metadata: ["provider": "\(provider)", "error": "\(error)"])
            }
        }
    }
}
