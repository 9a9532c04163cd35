import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardStore

/// The store's part of the wiring, kept here so `buildServiceGroup` stays a list of steps.
enum StorageWiring {
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
