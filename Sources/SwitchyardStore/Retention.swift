import Foundation
import GRDB
import SwitchyardCore

/// How long each kind of row is kept.
public struct RetentionPolicy: Hashable, Sendable {
    /// Raw probe and report rows.
    public var rawSeconds: Double
    /// Per-minute rollups.
    public var minuteRollupSeconds: Double
    /// Per-hour rollups, transitions and probe spend.
    public var hourRollupSeconds: Double

    /// Raw rows 7 days, minute rollups 30 days, hour rollups (and transitions, probe spend) 400 days.
    public init(rawSeconds: Double = 7 * 86_400, minuteRollupSeconds: Double = 30 * 86_400, hourRollupSeconds: Double = 400 * 86_400) {
        self.rawSeconds = rawSeconds
        self.minuteRollupSeconds = minuteRollupSeconds
        self.hourRollupSeconds = hourRollupSeconds
    }
}

/// What one pruning turn did.
public struct PruneReport: Hashable, Sendable {
    /// Rows deleted, over all tables.
    public var deletedRows = 0
    /// Transactions used (each deletes a bounded number of rows).
    public var transactions = 0
    /// Pages handed back to the file system by `PRAGMA incremental_vacuum`.
    public var vacuumedPages = 0
    /// False when the transaction budget ran out with expired rows left: call again soon.
    public var finished = true
}

extension SQLiteStore {
    /// Deletes expired rows oldest first, in transactions of at most `rowsPerTransaction` raw
    /// rows (rollups: a bounded time slice per target), so the writer is never held for long.
    /// Then returns free pages to the file system once they are a sizeable part of the file,
    /// so the file shrinks after a retention cut and stays flat once retention is reached.
    public func prune(now: Timestamp, retention: RetentionPolicy, rowsPerTransaction: Int = 5000, maxTransactions: Int = 64) throws -> PruneReport {
        var report = PruneReport()
        func step(_ work: (Database) throws -> Int) throws -> Bool {
            guard report.transactions < maxTransactions else {
                report.finished = false
                return false
            }
            report.transactions += 1
            let deleted = try pool.write(work)
            report.deletedRows += deleted
            return deleted > 0
        }
        let rawCutoff = now.secondsSinceEpoch - retention.rawSeconds
        while try step({ db in try Self.pruneRaw(db, before: rawCutoff, window: rowsPerTransaction) }) {}
        let targetIDs = try pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM targets ORDER BY id") }
        for (table, keep, slice) in [("rollups_minute", retention.minuteRollupSeconds, 6 * 3600.0), ("rollups_hour", retention.hourRollupSeconds, 7 * 86_400.0)] {
            let cutoff = Int64((now.secondsSinceEpoch - keep).rounded(.down))
            for chunk in stride(from: 0, to: targetIDs.count, by: 100).map({ Array(targetIDs[$0..<min($0 + 100, targetIDs.count)]) }) {
                while try step({ db in try Self.pruneRollups(db, table: table, targets: chunk, before: cutoff, slice: Int64(slice)) }) {}
            }
        }
        let longCutoff = now.secondsSinceEpoch - retention.hourRollupSeconds
        while try step({ db in
            try db.execute(sql: "DELETE FROM transitions WHERE id IN (SELECT id FROM transitions WHERE at < ? ORDER BY at LIMIT ?)",
                           arguments: [longCutoff, rowsPerTransaction])
            let transitionsDeleted = db.changesCount
            try db.execute(sql: "DELETE FROM daemon_events WHERE id IN (SELECT id FROM daemon_events WHERE at < ? ORDER BY at LIMIT ?)",
                           arguments: [longCutoff, rowsPerTransaction])
            let eventsDeleted = db.changesCount
            try db.execute(sql: "DELETE FROM probe_spend WHERE day < ?", arguments: [Int64((longCutoff / 86_400).rounded(.down))])
            return transitionsDeleted + eventsDeleted
        }) {}
        if report.finished { report.vacuumedPages = try vacuumIfWorthwhile() }
        return report
    }

    /// Raw rows are appended in (nearly) time order, so the oldest are the lowest ids: delete
    /// within a window of ids above the smallest, which needs no index on time.
    private static func pruneRaw(_ db: Database, before cutoff: Double, window: Int) throws -> Int {
        guard let oldest = try Row.fetchOne(db, sql: "SELECT id, started_at FROM observations ORDER BY id LIMIT 1"),
              (oldest["started_at"] as Double) < cutoff else { return 0 }
        try db.execute(sql: "DELETE FROM observations WHERE id < ? AND started_at < ?",
                       arguments: [(oldest["id"] as Int64) + Int64(window), cutoff])
        return db.changesCount
    }

    /// Deletes each target's rollups older than the cutoff, at most `slice` seconds of them per target.
    private static func pruneRollups(_ db: Database, table: String, targets: [Int64], before cutoff: Int64, slice: Int64) throws -> Int {
        let statement = try db.cachedStatement(sql: """
            DELETE FROM \(table) WHERE target_id = ?1 AND bucket_start < min(?2,
                (SELECT min(bucket_start) FROM \(table) WHERE target_id = ?1) + ?3)
            """)
        var deleted = 0
        for target in targets {
            try statement.execute(arguments: [target, cutoff, slice])
            deleted += db.changesCount
        }
        return deleted
    }

    /// Runs `PRAGMA incremental_vacuum` when free pages exceed an eighth of the file (and 1 MiB):
    /// below that they are simply reused by the next inserts.
    private func vacuumIfWorthwhile() throws -> Int {
        try pool.writeWithoutTransaction { db in
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            guard free > 256, free * 8 > pages else { return 0 }
            try db.execute(sql: "PRAGMA incremental_vacuum")
            return free - (try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }
    }

    /// Bytes on disk: the database file plus its write-ahead log.
    public func fileBytes() -> Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            return total + size
        }
    }

    /// Copies the write-ahead log into the database file and truncates it (for measurements).
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
