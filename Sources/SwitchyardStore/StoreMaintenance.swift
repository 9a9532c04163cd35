import Logging
import Synchronization
import SwitchyardCore

/// The writer's work between batches, each on its own schedule (wall-clock time from the
/// writer's clock): folding new tail rows into live minutes, compacting ended hours into
/// blocks, pruning expired blocks. Called only from the writer task; the state sits under one
/// lock because the writer is `Sendable`.
final class StoreMaintenance: Sendable {
    private struct Schedule {
        var lastSummary: Timestamp?
        var summaryFailing = false
        /// The hour boundary before which the tail was last fully compacted (nil until the first turn).
        var compactedBefore: Int64?
        /// When a failed compaction turn may be retried.
        var compactionRetryAt: Timestamp?
        var lastPrune: Timestamp?
    }

    private let store: SQLiteStore
    private let settings: StoreWriter.Settings
    private let clock: any WallClock
    private let logger: Logger
    private let schedule = Mutex(Schedule())

    init(store: SQLiteStore, settings: StoreWriter.Settings, clock: any WallClock, logger: Logger) {
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Runs whatever is due now.
    func runDue() {
        summarizeIfDue()
        compactIfDue()
        pruneIfDue()
    }

    /// Folds new tail rows into the live minute rollups every `summaryIntervalSeconds`.
    private func summarizeIfDue() {
        let now = clock.now()
        guard schedule.withLock({ $0.lastSummary.map { now - $0 >= settings.summaryIntervalSeconds } ?? true }) else { return }
        schedule.withLock { $0.lastSummary = now }
        do {
            try store.summarizeTail()
            if schedule.withLock({ state in defer { state.summaryFailing = false }; return state.summaryFailing }) {
                logger.notice("summarizing the tail works again")
            }
        } catch {
            // Reads count those rows from the tail meanwhile; the next turn tries again.
            if !schedule.withLock({ state in defer { state.summaryFailing = true }; return state.summaryFailing }) {
                logger.warning("cannot summarize the tail; recent history reads the raw rows until this works", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Compacts the tail once an hour has ended (and at start-up, for what a previous run left);
    /// a turn that runs out of budget is continued after the next batch. A failing turn is
    /// retried after the prune interval, not after every batch.
    private func compactIfDue() {
        let now = clock.now()
        let cutoff = floorTo(wholeSeconds(now.secondsSinceEpoch - settings.compactionGraceSeconds), 3600)
        let due = schedule.withLock { state in
            (state.compactedBefore.map { $0 < cutoff } ?? true) && (state.compactionRetryAt.map { now >= $0 } ?? true)
        }
        guard due else { return }
        do {
            // A few transactions per turn, then back to committing batches; the rest comes next turn.
            let report = try store.compact(before: Timestamp(secondsSinceEpoch: Double(cutoff)), maxTransactions: 8)
            if report.damagedBlocks > 0 {
                logger.error("damaged blocks in the state database were moved to damaged_blocks; their history is lost",
                             metadata: ["path": "\(store.path)", "blocks": "\(report.damagedBlocks)"])
            }
            schedule.withLock { state in
                state.compactionRetryAt = nil
                if report.finished { state.compactedBefore = cutoff }
            }
            if report.observations > 0 {
                logger.debug("compacted the tail", metadata: ["observations": "\(report.observations)", "target_hours": "\(report.periods)"])
            }
        } catch {
            schedule.withLock { $0.compactionRetryAt = now + settings.pruneIntervalSeconds }
            logger.warning("cannot compact the state database; will retry", metadata: ["path": "\(store.path)", "error": "\(error)"])
        }
    }

    /// Prunes expired rows when the interval has passed; a turn that runs out of budget is
    /// continued after the next batch instead of waiting a whole interval.
    private func pruneIfDue() {
        let now = clock.now()
        let due = schedule.withLock { $0.lastPrune.map { now - $0 >= settings.pruneIntervalSeconds } ?? true }
        guard due else { return }
        do {
            let report = try store.prune(now: now, retention: settings.retention)
            schedule.withLock { $0.lastPrune = report.finished ? now : nil }
            if report.deletedRows > 0 || report.vacuumedPages > 0 {
                logger.debug("pruned expired rows", metadata: ["rows": "\(report.deletedRows)", "vacuumed_pages": "\(report.vacuumedPages)"])
            }
        } catch {
            schedule.withLock { $0.lastPrune = now }
            logger.warning("cannot prune the state database; will retry", metadata: ["path": "\(store.path)", "error": "\(error)"])
        }
    }
}
