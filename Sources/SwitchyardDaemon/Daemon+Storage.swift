import Dispatch
import Foundation
import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardServer
import SwitchyardStore
import SwitchyardSystemd

/// The store's part of the wiring, kept here so `buildServiceGroup` stays a list of steps.
enum StorageWiring {
    /// Opens the state database. Checking a large file or migrating it to a new schema can take
    /// minutes; meanwhile systemd hears every 10 s that start-up is alive (`EXTEND_TIMEOUT_USEC`),
    /// so `TimeoutStartSec=` does not kill a migration that would then start over.
    /// A corrupt file (not a full disk, a permission or a lock problem) is moved aside and a fresh
    /// one started, so routing goes on; the answer then says where the old file went.
    static func open(path: String, busyTimeoutSeconds: Double, notifier: SystemdNotifier, now: Timestamp,
                     logger: Logger) throws -> (SQLiteStore, DatabaseRecovery?) {
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
            return (try SQLiteStore(path: path, busyTimeoutSeconds: busyTimeoutSeconds), nil)
        } catch let error as StoreError where error.isCorruption {
            // Routing matters more than history: keep the damaged file for inspection, start afresh.
            let recovery = try moveAside(path: path, problem: error, now: now)
            logger.error("the state database was corrupt: moved it aside and started a fresh one; history and warm-start state before now are in the moved file", metadata: [
                "path": "\(path)", "moved_to": "\(recovery.movedTo)", "problem": "\(error.problem)", "event": "database_recovered",
            ])
            do {
                return (try SQLiteStore(path: path, busyTimeoutSeconds: busyTimeoutSeconds), recovery)
            } catch {
                throw StartupError(description: "\(error)")
            }
        } catch {
            throw StartupError(description: "\(error)")
        }
    }

    /// Renames a corrupt database and its `-wal`/`-shm` to `NAME.corrupt-<UTC time>` (with the
    /// same suffixes), so a fresh file can start at `path`; fails, touching nothing more, if a rename does.
    static func moveAside(path: String, problem: StoreError, now: Timestamp) throws -> DatabaseRecovery {
        let movedTo = "\(path).corrupt-\(compactUTC(now))"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            guard rename(path + suffix, movedTo + suffix) == 0 else {
                throw StartupError(description: "\(problem); moving it aside to \(movedTo + suffix) failed: \(String(cString: strerror(errno)))")
            }
        }
        return DatabaseRecovery(movedTo: movedTo, problem: problem.problem)
    }

    /// `20261204T231500Z`: sorts by time, and is safe in a file name.
    static func compactUTC(_ time: Timestamp) -> String {
        var seconds = time_t(time.secondsSinceEpoch.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// Says loudly that the database was replaced: `/readyz`, the events log (and so the metric), STATUS.
    static func announce(_ recovery: DatabaseRecovery, readiness: Readiness, pipeline: ObservationPipeline, now: Timestamp) {
        let message = "the state database was damaged, \(recovery.problem): it was moved to \(recovery.movedTo) and a fresh one started"
        readiness.update { $0.databaseRecovered = message }
        pipeline.record(DaemonEvent(at: now, kind: .databaseRecovered, caller: "daemon", message: message))
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
        // Rows stored before figures were bounded (`Observation.bounded`) are bounded as they come back.
        var bounded = remembered
        bounded.observations = remembered.observations.compactMap { $0.bounded() }
        let restored = healthBook.warmStart(bounded)
        guard !restored.isEmpty else { return }
        readiness.update { $0.warmStarted = true }
        let ejected = healthBook.snapshots().filter { $0.health.state == .ejected }.count
        logger.info("warm start from the state database", metadata: [
            "targets": "\(restored.count)", "observations": "\(remembered.observations.count)", "ejected": "\(ejected)",
        ])
    }

    /// Today's probe spend of each of `providers` from SQLite, for the scheduler to start from, so a
    /// restart does not reset a provider's daily budget.
    /// A budget shared with discovered providers (`members`) starts from what all of them spent.
    static func probeSpend(providers: [ProviderID], members: (ProviderID) -> [ProviderID] = { [$0] }, from store: SQLiteStore, now: Timestamp,
                           logger: Logger) -> [ProviderID: Double] {
        var spent: [ProviderID: Double] = [:]
        for provider in providers {
            do {
                spent[provider] = try members(provider).reduce(0) { $0 + (try store.probeSpend(provider: $1, day: now).usd) }
            } catch {
                logger.warning("cannot read today's probe spend; the budget starts from zero", metadata: ["provider": "\(provider)", "error": "\(error)"])
            }
        }
        return spent
    }
}

extension StorageWiring {
    /// Seeds each client's gateway spend of today from SQLite, so a restart does not give a
    /// client over its `budget` its money back.
    static func restoreClientSpend(_ limiter: ClientLimiter, from store: SQLiteStore, now: Timestamp, logger: Logger) {
        do {
            limiter.restore(try store.clientSpend(day: now), now: now)
        } catch {
            logger.warning("cannot read today's client spend; client budgets start from zero", metadata: ["error": "\(error)"])
        }
    }
}

/// A corrupt state database replaced at start-up: where the old file went, and what was wrong with it.
struct DatabaseRecovery: Sendable {
    var movedTo: String
    var problem: String
}
