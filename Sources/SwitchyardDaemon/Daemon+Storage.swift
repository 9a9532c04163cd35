import Logging
import SwitchyardConfig
import SwitchyardCore
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
}
