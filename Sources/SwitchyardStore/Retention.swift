import Foundation
import GRDB
import SwitchyardCore

/// How long each kind of row is kept.
public struct RetentionPolicy: Hashable, Sendable {
    /// Raw observations (probes and reports).
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
    /// Deletes expired blocks (a block goes once its whole period is older than its kind's
    /// retention), a bounded number of targets per transaction, then transitions, daemon events
    /// and probe spend older than the hour-rollup retention, so the writer is never held for long.
    /// Then returns free pages to the file system once they are a sizeable part of the file,
    /// so the file shrinks after a retention cut and stays flat once retention is reached.
    /// Observations still in the tail are compacted first (`compact`) and expire as blocks.
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
        let targetIDs = try pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM targets ORDER BY id") }
        // A target loses about one block of each kind per hour, so a transaction takes many targets.
        let targetsPerTransaction = max(1, rowsPerTransaction / 20)
        for kind in BlockKind.allCases {
            let keep = switch kind {
            case .raw: retention.rawSeconds
            case .minutes: retention.minuteRollupSeconds
            case .hours: retention.hourRollupSeconds
            }
            // Blocks that start before this have ended by the cutoff.
            let expired = wholeSeconds(now.secondsSinceEpoch - keep) - kind.periodSeconds + 1
            for first in stride(from: 0, to: targetIDs.count, by: targetsPerTransaction) {
                let chunk = targetIDs[first..<min(first + targetsPerTransaction, targetIDs.count)]
                // Only chunks with something to delete take a write transaction (and the budget).
                guard try pool.read({ db in try Self.hasBlocks(db, kind: kind, targets: chunk, before: expired) }) else { continue }
                guard try step({ db in try Self.pruneBlocks(db, kind: kind, targets: chunk, before: expired) }) || report.finished else { return report }
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
            try db.execute(sql: "DELETE FROM probe_spend WHERE day < ?", arguments: [floorTo(wholeSeconds(longCutoff), 86_400) / 86_400])
            try db.execute(sql: "DELETE FROM client_spend WHERE day < ?", arguments: [floorTo(wholeSeconds(longCutoff), 86_400) / 86_400])
            return transitionsDeleted + eventsDeleted
        }) {}
        if report.finished { report.vacuumedPages = try vacuumIfWorthwhile() }
        return report
    }

    private static func hasBlocks(_ db: Database, kind: BlockKind, targets: ArraySlice<Int64>, before: Int64) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM blocks WHERE target_id = ? AND kind = ? AND start < ?)")
        return try targets.contains { try Bool.fetchOne(statement, arguments: [$0, kind.rawValue, before]) ?? false }
    }

    /// Deletes the targets' blocks of one kind that start before `before`: one index range each.
    private static func pruneBlocks(_ db: Database, kind: BlockKind, targets: ArraySlice<Int64>, before: Int64) throws -> Int {
        let statement = try db.cachedStatement(sql: "DELETE FROM blocks WHERE target_id = ? AND kind = ? AND start < ?")
        var deleted = 0
        for target in targets {
            try statement.execute(arguments: [target, kind.rawValue, before])
            deleted += db.changesCount
        }
        return deleted
    }

    /// Runs `PRAGMA incremental_vacuum` when free pages exceed an eighth of the file (and 256 KiB):
    /// below that they are simply reused by the next inserts.
    private func vacuumIfWorthwhile() throws -> Int {
        try pool.writeWithoutTransaction { db in
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            guard free > 64, free * 8 > pages else { return 0 }
            try db.execute(sql: "PRAGMA incremental_vacuum")
            return free - (try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }
    }

    /// What the blocks hold, by kind (`raw`, `minutes`, `hours`): rows, observations summarized,
    /// and bytes stored (deflated) against their encoded size. For benchmarks and diagnostics.
    public func blockStatistics() throws -> [(kind: String, blocks: Int, observations: Int, storedBytes: Int64, encodedBytes: Int64)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, count(*), sum(count), sum(length(data)), sum(size) FROM blocks GROUP BY kind ORDER BY kind").map { row in
                ("\(BlockKind(rawValue: row[0]).map { "\($0)" } ?? "unknown")", row[1], row[2], row[3], row[4])
            }
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
