import GRDB
import SwitchyardCore

/// What one compaction turn did.
public struct CompactionReport: Hashable, Sendable {
    /// Observations moved from the tail into blocks.
    public var observations = 0
    /// Target-hours compacted.
    public var periods = 0
    /// Transactions used.
    public var transactions = 0
    /// Stored blocks found damaged and moved to `damaged_blocks`.
    public var damagedBlocks = 0
    /// False when the transaction budget ran out with due hours left: call again soon.
    public var finished = true
}

extension SQLiteStore {
    /// Moves the observations of every hour that ended at or before `before` out of the tail
    /// (the `observations` table, one row per observation, where the writer appends) into that
    /// target's blocks: the hour's two raw half-hour blocks, its minute rollups and its hour rollup
    /// in the day's block. Late observations of an hour already compacted are merged into its blocks. Each
    /// transaction moves at most `periodsPerTransaction` target-hours, so the writer is never held for long.
    public func compact(before: Timestamp, periodsPerTransaction: Int = 40, maxTransactions: Int = 64) throws -> CompactionReport {
        let cutoff = floorTo(wholeSeconds(before.secondsSinceEpoch), 3600)
        var report = CompactionReport()
        while report.transactions < maxTransactions {
            let (periods, moved, damaged) = try pool.write { db in try Self.compactSome(db, before: cutoff, maxPeriods: periodsPerTransaction) }
            report.transactions += 1
            report.periods += periods
            report.observations += moved
            report.damagedBlocks += damaged
            if periods < periodsPerTransaction { return report }
        }
        report.finished = false
        return report
    }

    /// Compacts up to `maxPeriods` due target-hours, oldest first per target.
    private static func compactSome(_ db: Database, before cutoff: Int64, maxPeriods: Int) throws -> (periods: Int, observations: Int, damaged: Int) {
        let oldest = try db.cachedStatement(sql: "SELECT min(started_at) FROM observations WHERE target_id = ? AND started_at >= ?")
        let rows = try db.cachedStatement(sql: TailRows.select + " WHERE target_id = ? AND started_at >= ? AND started_at < ?")
        let delete = try db.cachedStatement(sql: "DELETE FROM observations WHERE target_id = ? AND started_at >= ? AND started_at < ?")
        var periods = 0
        var moved = 0
        var damaged = 0
        for (targetID, target) in try targets(db) {
            var from = -Double.greatestFiniteMagnitude
            while periods < maxPeriods, let first = try Double.fetchOne(oldest, arguments: [targetID, from]), first < Double(cutoff) {
                let hour = floorTo(wholeSeconds(first), 3600)
                // The hour's rows: from its oldest (none is older) to its end.
                let range: [any DatabaseValueConvertible] = [targetID, first, Double(hour + 3600)]
                let observations = try TailRows.fetch(rows, arguments: StatementArguments(range), target: target)
                damaged += try appendToBlocks(db, targetID: targetID, target: target, hourStart: hour, observations: observations)
                try delete.execute(arguments: StatementArguments(range))
                try LiveMinutes.deleteHour(db, targetID: targetID, hourStart: hour)
                periods += 1
                moved += observations.count
                from = Double(hour + 3600)
            }
            if periods == maxPeriods { break }
        }
        return (periods, moved, damaged)
    }

    /// Folds new tail rows into `live_minutes`, at most `rowsPerTransaction` per transaction;
    /// returns how many rows it folded in. The writer calls this once a minute.
    @discardableResult
    public func summarizeTail(rowsPerTransaction: Int = 20_000, maxTransactions: Int = 16) throws -> Int {
        var total = 0
        for _ in 0..<maxTransactions {
            let rows = try pool.write { db in try LiveMinutes.summarize(db, maxRows: rowsPerTransaction) }
            total += rows
            if rows < rowsPerTransaction { break }
        }
        return total
    }

    /// Stores whole hours of observations straight into blocks, one transaction for all of them:
    /// what compaction would store for them (the storage generator's write path).
    func appendHour(_ hourStart: Int64, of targets: [(Target, [Observation])]) throws {
        try pool.write { db in
            var cache: [Target: Int64] = [:]
            for (target, observations) in targets {
                let id = try targetID(target, db: db, cache: &cache)
                try Self.appendToBlocks(db, targetID: id, target: target, hourStart: hourStart, observations: observations)
            }
        }
    }

    /// Every target's row id and name.
    static func targets(_ db: Database) throws -> [(id: Int64, target: Target)] {
        try Row.fetchAll(db, sql: "SELECT id, provider, model FROM targets ORDER BY id").map { row in
            (row["id"], Target(provider: ProviderID(row["provider"] as String), model: ModelName(row["model"] as String)))
        }
    }

    /// Merges one target-hour's observations into its raw blocks, minute-rollup block and the
    /// day's hour-rollup block (creating them as needed). The one way blocks are written:
    /// compaction and the storage generator both come here. Returns how many existing blocks
    /// were damaged (moved to `damaged_blocks`; the merge then starts from this hour alone).
    @discardableResult
    static func appendToBlocks(_ db: Database, targetID: Int64, target: Target, hourStart: Int64, observations: [Observation]) throws -> Int {
        guard !observations.isEmpty else { return 0 }
        var damaged = 0
        for (start, part) in Dictionary(grouping: observations, by: { BlockKind.raw.blockStart(of: $0.startedAt.secondsSinceEpoch) }) {
            var raw = try existing(db, targetID: targetID, kind: .raw, start: start, damaged: &damaged) {
                try BlockCoding.decodeObservations($0, blockStart: start, target: target)
            } ?? []
            raw += part
            try BlockTable.write(db, targetID: targetID, kind: .raw, start: start, count: raw.count,
                                 bytes: BlockCoding.encode(observations: raw, blockStart: start))
        }

        var minutes = try existing(db, targetID: targetID, kind: .minutes, start: hourStart, damaged: &damaged, decode: rollupsBySlot) ?? [:]
        var hour = Rollup()
        for o in observations {
            minutes[min(max(Int(minuteStart(of: o) - hourStart) / 60, 0), 59), default: Rollup()].add(o)
            hour.add(o)
        }
        try writeRollups(db, minutes, targetID: targetID, kind: .minutes, start: hourStart)

        let day = floorTo(hourStart, 86_400)
        var hours = try existing(db, targetID: targetID, kind: .hours, start: day, damaged: &damaged, decode: rollupsBySlot) ?? [:]
        hours[Int((hourStart - day) / 3600), default: Rollup()].merge(hour)
        try writeRollups(db, hours, targetID: targetID, kind: .hours, start: day)
        return damaged
    }

    /// The decoded content of a stored block to merge into, or nil when there is none. A block
    /// that cannot be inflated or decoded is moved aside rather than blocking compaction forever.
    private static func existing<T>(_ db: Database, targetID: Int64, kind: BlockKind, start: Int64, damaged: inout Int,
                                    decode: ([UInt8]) throws -> T) throws -> T? {
        do {
            guard let block = try BlockTable.read(db, targetID: targetID, kind: kind, start: start) else { return nil }
            return try decode(block.bytes)
        } catch let error as Deflate.Failure {
            try BlockTable.quarantine(db, targetID: targetID, kind: kind, start: start, reason: error.description)
        } catch is ByteReader.Malformed {
            try BlockTable.quarantine(db, targetID: targetID, kind: kind, start: start, reason: "malformed block contents")
        }
        damaged += 1
        return nil
    }

    private static func rollupsBySlot(_ bytes: [UInt8]) throws -> [Int: Rollup] {
        Dictionary(try BlockCoding.decodeRollups(bytes).map { ($0.slot, $0.rollup) }, uniquingKeysWith: { a, b in
            var merged = a
            merged.merge(b)
            return merged
        })
    }

    private static func writeRollups(_ db: Database, _ rollups: [Int: Rollup], targetID: Int64, kind: BlockKind, start: Int64) throws {
        try BlockTable.write(db, targetID: targetID, kind: kind, start: start, count: rollups.values.reduce(0) { $0 + $1.count },
                             bytes: BlockCoding.encode(rollups: rollups))
    }
}

/// The minute an observation is rolled up in; the tail's live minutes, compaction and
/// history reads all use this one definition, so they agree on every boundary.
func minuteStart(of o: Observation) -> Int64 { floorTo(wholeSeconds(o.startedAt.secondsSinceEpoch), 60) }

/// Whole seconds at or below `seconds`, clamped to about ±30 million years so that any
/// stored time (a client may report a strange one) converts without trapping.
func wholeSeconds(_ seconds: Double) -> Int64 {
    guard seconds.isFinite else { return 0 }
    return Int64(min(max(seconds, -1e15), 1e15).rounded(.down))
}

/// Rounds down to a multiple of `step`, also for negative values.
func floorTo(_ value: Int64, _ step: Int64) -> Int64 {
    let remainder = value % step
    return remainder < 0 ? value - remainder - step : value - remainder
}
