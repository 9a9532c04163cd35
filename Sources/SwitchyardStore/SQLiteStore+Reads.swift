import Foundation
import GRDB
import GRDBSQLite
import SwitchyardCore

extension SQLiteStore {
    /// The stored observations of one target (compacted blocks and the tail), oldest first.
    /// Compacted ones carry start times to the millisecond and durations to the microsecond.
    public func observations(of target: Target, limit: Int = 1000) throws -> [Observation] {
        try pool.read { db in
            guard let id = try Self.targetID(db, target) else { return [] }
            var observations: [Observation] = []
            try BlockTable.forEach(db, targetID: id, kind: .raw, from: Int64.min, to: Int64.max) { block in
                observations += try BlockCoding.decodeObservations(block.bytes, blockStart: block.start, target: target)
                return observations.count < limit
            }
            observations += try TailRows.fetch(db.makeStatement(sql: TailRows.select + " WHERE target_id = ? ORDER BY started_at, id LIMIT ?"),
                                               arguments: [id, limit], target: target)
            return Array(observations.sorted { $0.startedAt < $1.startedAt }.prefix(limit))
        }
    }

    /// The start time of the newest observation in the tail, if any.
    public func newestObservationTime() throws -> Double? {
        try pool.read { db in try Double.fetchOne(db, sql: "SELECT max(started_at) FROM observations") }
    }

    /// Observations waiting in the tail for compaction.
    public func tailRowCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM observations") ?? 0 }
    }

    /// `PRAGMA integrity_check`: "ok" for a healthy file.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    /// The number of stored observations (probes and reports), compacted or not.
    public func observationCount() throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM observations) + (SELECT coalesce(sum(count), 0) FROM blocks WHERE kind = ?)",
                             arguments: [BlockKind.raw.rawValue]) ?? 0
        }
    }

    /// The stored transitions, oldest first.
    public func transitions(limit: Int = 1000) throws -> [Transition] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.provider, t.model, x.at, x.from_state, x.to_state, x.reason
                FROM transitions x JOIN targets t ON t.id = x.target_id ORDER BY x.at, x.id LIMIT ?
                """, arguments: [limit]).map(Self.transition)
        }
    }

    /// What a restart needs to rebuild health before the first probe: each target's most
    /// recent observations (at most `perTarget`, none older than `lookbackSeconds`) and the
    /// targets whose last transition was an admin drain.
    public func warmStart(now: Timestamp, lookbackSeconds: Double = 6 * 3600, perTarget: Int = 256) throws -> HealthBook.WarmStart {
        try pool.read { db in
            let since = now.secondsSinceEpoch - lookbackSeconds
            var observations: [Observation] = []
            let recent = try db.cachedStatement(sql: TailRows.select + " WHERE target_id = ? AND started_at >= ? ORDER BY started_at DESC LIMIT ?")
            for (id, target) in try Self.targets(db) {
                var mine = try TailRows.fetch(recent, arguments: [id, since, perTarget], target: target)
                // Then the newest compacted half-hours, while they can still hold one of the newest `perTarget`.
                try BlockTable.forEach(db, targetID: id, kind: .raw, from: BlockKind.raw.blockStart(of: since), to: Int64.max, descending: true) { block in
                    if mine.count >= perTarget {
                        mine.sort { $0.startedAt > $1.startedAt }
                        if mine[perTarget - 1].startedAt.secondsSinceEpoch >= Double(block.start + BlockKind.raw.periodSeconds) { return false }
                    }
                    mine += try BlockCoding.decodeObservations(block.bytes, blockStart: block.start, target: target).filter { $0.startedAt.secondsSinceEpoch >= since }
                    return true
                }
                observations += mine.sorted { $0.startedAt > $1.startedAt }.prefix(perTarget)
            }
            var drained: [Target: Timestamp] = [:]
            let last = try Row.fetchAll(db, sql: """
                SELECT t.provider, t.model, x.at, x.from_state, x.to_state, x.reason FROM transitions x
                JOIN targets t ON t.id = x.target_id
                WHERE x.id IN (SELECT max(id) FROM transitions GROUP BY target_id)
                """).map(Self.transition)
            for transition in last where transition.to == .draining { drained[transition.target] = transition.at }
            return HealthBook.WarmStart(observations: observations, drained: drained)
        }
    }

    static func targetID(_ db: Database, _ target: Target) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM targets WHERE provider = ? AND model = ?", arguments: [target.provider.rawValue, target.model.rawValue])
    }

    /// Probe spend of a provider on the UTC day containing `day`: probes made and USD.
    public func probeSpend(provider: ProviderID, day: Timestamp) throws -> (probes: Int, usd: Double) {
        try pool.read { db in
            let dayNumber = floorTo(Int64(day.secondsSinceEpoch.rounded(.down)), 86_400) / 86_400
            let row = try Row.fetchOne(db, sql: "SELECT probes, cost_nusd FROM probe_spend WHERE provider = ? AND day = ?",
                                       arguments: [provider.rawValue, dayNumber])
            return (row?["probes"] ?? 0, StoredCodes.usd(nano: row?["cost_nusd"] ?? 0))
        }
    }

    /// Each client's gateway spend in USD on the UTC day containing `day` (`client_spend`).
    public func clientSpend(day: Timestamp) throws -> [String: Double] {
        try pool.read { db in
            let dayNumber = floorTo(Int64(day.secondsSinceEpoch.rounded(.down)), 86_400) / 86_400
            var spent: [String: Double] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT client, cost_nusd FROM client_spend WHERE day = ?", arguments: [dayNumber]) {
                spent[row["client"]] = StoredCodes.usd(nano: row["cost_nusd"])
            }
            return spent
        }
    }

    static func transition(_ row: Row) -> Transition {
        Transition(
            target: Target(provider: ProviderID(row["provider"] as String), model: ModelName(row["model"] as String)),
            from: TargetState(rawValue: row["from_state"]) ?? .unknown, to: TargetState(rawValue: row["to_state"]) ?? .unknown,
            at: Timestamp(secondsSinceEpoch: row["at"]), reason: row["reason"]
        )
    }
}

extension SQLiteStore: HistoryReading {
    /// Minute or hour rollups in `[since, until)`, probes and reports merged, by target then time:
    /// the rollup blocks of compacted hours, the live minutes of the tail, and the few tail rows
    /// not summarized yet, rolled up on the spot.
    public func history(_ query: HistoryQuery) throws -> [HistoryBucket] {
        let step = Int64(query.step.seconds)
        let kind: BlockKind = query.step == .minute ? .minutes : .hours
        let since = floorTo(wholeSeconds(query.since.secondsSinceEpoch), step)
        let until = wholeSeconds(query.until.secondsSinceEpoch.rounded(.up))
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let provider = query.provider { conditions.append("provider = ?"); arguments.append(provider.rawValue) }
        if let model = query.model { conditions.append("model = ?"); arguments.append(model.rawValue) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try pool.read { db in
            let targets = try Row.fetchAll(db, sql: "SELECT id, provider, model FROM targets \(filter) ORDER BY provider, model",
                                           arguments: StatementArguments(arguments))
            // Tail rows not yet in `live_minutes`: the newest few seconds' worth, found in one pass.
            let unsummarized = try Self.unsummarizedRollups(db, since: since, until: until, step: step,
                                                             onlyTarget: targets.count == 1 ? targets[0][0] as Int64 : nil)
            var buckets: [HistoryBucket] = []
            // Once, for the whole answer: reserving per target would copy the array every time.
            buckets.reserveCapacity(min(targets.count * Int(min(max((until - since) / step, 0), 200_000)), 500_000))
            for targetRow in targets {
                let id: Int64 = targetRow[0]
                let target = Target(provider: ProviderID(targetRow[1] as String), model: ModelName(targetRow[2] as String))
                // Blocks come in time order and their slots ascending: buckets are appended sorted.
                let first = buckets.count
                try BlockTable.forEach(db, targetID: id, kind: kind, from: floorTo(since, kind.periodSeconds), to: until) { block in
                    try BlockCoding.forEachRollup(in: block.bytes) { slot, rollup in
                        let start = block.start + Int64(slot) * step
                        if start >= since, start < until { buckets.append(rollup.bucket(target: target, start: Timestamp(secondsSinceEpoch: Double(start)))) }
                    }
                    return true
                }
                // Then the tail: its summarized minutes and the rows since (usually appended after the blocks).
                for (start, rollup) in try LiveMinutes.range(db, targetID: id, from: floorTo(since, 60), to: until) {
                    Self.merge(rollup, at: floorTo(start, step), into: &buckets, from: first, target: target)
                }
                for (start, rollup) in (unsummarized[id] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    Self.merge(rollup, at: start, into: &buckets, from: first, target: target)
                }
            }
            return buckets
        }
    }

    /// Rollups by target and step of the tail rows in `[since, until)` that `live_minutes` does not count yet.
    /// One target's (by its index) or every target's (in one pass over the newest rows).
    private static func unsummarizedRollups(_ db: Database, since: Int64, until: Int64, step: Int64, onlyTarget: Int64?) throws -> [Int64: [Int64: Rollup]] {
        let summarized = try LiveMinutes.summarizedID(db)
        let statement: Statement
        let arguments: StatementArguments
        if let onlyTarget {
            statement = try db.cachedStatement(sql: "SELECT target_id, \(TailRows.columns) FROM observations WHERE target_id = ? AND started_at >= ? AND started_at < ? AND id > ?")
            arguments = [onlyTarget, Double(since), Double(until), summarized]
        } else {
            statement = try db.cachedStatement(sql: "SELECT target_id, \(TailRows.columns) FROM observations WHERE id > ? AND started_at >= ? AND started_at < ?")
            arguments = [summarized, Double(since), Double(until)]
        }
        var rollups: [Int64: [Int64: Rollup]] = [:]
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while try rows.next() != nil {
            let o = TailRows.decode(statement.sqliteStatement, target: LiveMinutes.anyTarget, offset: 1)
            rollups[sqlite3_column_int64(statement.sqliteStatement, 0), default: [:]][floorTo(wholeSeconds(o.startedAt.secondsSinceEpoch), step), default: Rollup()].add(o)
        }
        return rollups
    }

    /// Puts a rollup of the tail into a target's sorted buckets (from index `first` on): merged
    /// into the bucket of the same start (a late observation of a compacted hour), else inserted.
    /// Tail rollups are usually after every stored one, so this is usually an append.
    private static func merge(_ rollup: Rollup, at start: Int64, into buckets: inout [HistoryBucket], from first: Int, target: Target) {
        let time = Timestamp(secondsSinceEpoch: Double(start))
        var low = first, high = buckets.count
        while low < high {
            let middle = (low + high) / 2
            if buckets[middle].start < time { low = middle + 1 } else { high = middle }
        }
        if low < buckets.count, buckets[low].start == time {
            rollup.add(to: &buckets[low])
        } else {
            buckets.insert(rollup.bucket(target: target, start: time), at: low)
        }
    }

    /// Recent transitions, newest first.
    public func events(since: Timestamp?, limit: Int) throws -> [Transition] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.provider, t.model, x.at, x.from_state, x.to_state, x.reason
                FROM transitions x JOIN targets t ON t.id = x.target_id WHERE x.at >= ? ORDER BY x.at DESC, x.id DESC LIMIT ?
                """, arguments: [since?.secondsSinceEpoch ?? -Double.greatestFiniteMagnitude, limit]).map(Self.transition)
        }
    }

    /// Recent daemon-wide events (reloads), newest first.
    public func daemonEvents(since: Timestamp?, limit: Int) throws -> [DaemonEvent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, kind, caller, message FROM daemon_events WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?",
                             arguments: [since?.secondsSinceEpoch ?? -Double.greatestFiniteMagnitude, limit]).compactMap { row in
                // A kind this version does not know (written by a newer one) is skipped, not misreported.
                DaemonEvent.Kind(rawValue: row["kind"]).map { kind in
                    DaemonEvent(at: Timestamp(secondsSinceEpoch: row["at"]), kind: kind, caller: row["caller"], message: row["message"])
                }
            }
        }
    }
}
