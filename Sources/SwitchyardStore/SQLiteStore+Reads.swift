import Foundation
import GRDB
import GRDBSQLite
import SwitchyardCore

extension SQLiteStore {
    /// The stored observations of one target, oldest first.
    public func observations(of target: Target, limit: Int = 1000) throws -> [Observation] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.* FROM observations o JOIN targets t ON t.id = o.target_id
                WHERE t.provider = ? AND t.model = ? ORDER BY o.started_at, o.id LIMIT ?
                """, arguments: [target.provider.rawValue, target.model.rawValue, limit]).map { Self.observation($0, target: target) }
        }
    }

    /// `PRAGMA integrity_check`: "ok" for a healthy file.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    /// The number of raw observation rows (probes and reports).
    public func observationCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM observations") ?? 0 }
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
            let targets = try Row.fetchAll(db, sql: "SELECT id, provider, model FROM targets").map { row in
                (id: row["id"] as Int64, target: Target(provider: ProviderID(row["provider"] as String), model: ModelName(row["model"] as String)))
            }
            var observations: [Observation] = []
            let recent = try db.cachedStatement(sql: """
                SELECT * FROM observations WHERE target_id = ? AND started_at >= ? ORDER BY started_at DESC LIMIT ?
                """)
            for (id, target) in targets {
                let rows = try Row.fetchAll(recent, arguments: [id, now.secondsSinceEpoch - lookbackSeconds, perTarget])
                observations += rows.map { Self.observation($0, target: target) }
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

    /// Probe spend of a provider on the UTC day containing `day`: probes made and USD.
    public func probeSpend(provider: ProviderID, day: Timestamp) throws -> (probes: Int, usd: Double) {
        try pool.read { db in
            let dayNumber = floorTo(Int64(day.secondsSinceEpoch.rounded(.down)), 86_400) / 86_400
            let row = try Row.fetchOne(db, sql: "SELECT probes, cost_nusd FROM probe_spend WHERE provider = ? AND day = ?",
                                       arguments: [provider.rawValue, dayNumber])
            return (row?["probes"] ?? 0, RollupCoding.usd(nano: row?["cost_nusd"] ?? 0))
        }
    }

    static func observation(_ row: Row, target: Target) -> Observation {
        Observation(
            target: target, source: ObservationSource(rawValue: row["source"]) ?? .probe,
            startedAt: Timestamp(secondsSinceEpoch: row["started_at"]),
            outcome: Outcome(label: row["outcome"]) ?? .failure(.badResponse),
            httpStatus: row["http_status"], totalSeconds: (row["total_ms"] as Double) / 1000,
            ttftSeconds: (row["ttft_ms"] as Double?).map { $0 / 1000 },
            tokensIn: row["tokens_in"], tokensOut: row["tokens_out"], costUSD: row["cost_usd"],
            retryAt: (row["retry_at"] as Double?).map { Timestamp(secondsSinceEpoch: $0) }, message: row["message"]
        )
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
    /// Minute or hour rollups in `[since, until)`, probes and reports merged, by target then time.
    public func history(_ query: HistoryQuery) throws -> [HistoryBucket] {
        let table = query.step == .minute ? "rollups_minute" : "rollups_hour"
        let since = floorTo(Int64(query.since.secondsSinceEpoch.rounded(.down)), Int64(query.step.seconds))
        let until = Int64(query.until.secondsSinceEpoch.rounded(.up))
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let provider = query.provider { conditions.append("provider = ?"); arguments.append(provider.rawValue) }
        if let model = query.model { conditions.append("model = ?"); arguments.append(model.rawValue) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try pool.read { db in
            let targets = try Row.fetchAll(db, sql: "SELECT id, provider, model FROM targets \(filter) ORDER BY provider, model",
                                           arguments: StatementArguments(arguments))
            // One primary-key range scan per target: its rows are contiguous and already in time order.
            let statement = try db.cachedStatement(sql: """
                SELECT bucket_start, source, count, failures, latency, ttft, tokens_in, tokens_out, cost_nusd
                FROM \(table) WHERE target_id = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start
                """)
            var buckets: [HistoryBucket] = []
            for targetRow in targets {
                let target = Target(provider: ProviderID(targetRow[1] as String), model: ModelName(targetRow[2] as String))
                let rows = try Row.fetchCursor(statement, arguments: [targetRow[0] as Int64, since, until])
                var lastStart: Int64?
                while try rows.next() != nil {
                    // Columns are read straight from the SQLite statement: 43,200 rows for 30 days of minutes.
                    let sqlite = statement.sqliteStatement
                    let start = sqlite3_column_int64(sqlite, 0)
                    if start != lastStart {
                        buckets.append(HistoryBucket(target: target, start: Timestamp(secondsSinceEpoch: Double(start))))
                        lastStart = start
                    }
                    Self.add(sqlite, to: &buckets[buckets.count - 1])
                }
            }
            return buckets
        }
    }

    /// Folds the current row of a rollup statement (one source) into a bucket.
    private static func add(_ sqlite: SQLiteStatement, to bucket: inout HistoryBucket) {
        let count = Int(sqlite3_column_int64(sqlite, 2))
        bucket.count += count
        if sqlite3_column_int64(sqlite, 1) == 1 { bucket.reports += count }
        if let text = sqlite3_column_text(sqlite, 3) {
            for (name, failures) in RollupCoding.decodeFailures(String(cString: text)) {
                bucket.failures[ErrorClass(rawValue: name) ?? .badResponse, default: 0] += failures
            }
        }
        bucket.latency.merge(RollupCoding.decodeHistogram(blobAt: 4, of: sqlite))
        bucket.ttft.merge(RollupCoding.decodeHistogram(blobAt: 5, of: sqlite))
        bucket.tokensIn += Int(sqlite3_column_int64(sqlite, 6))
        bucket.tokensOut += Int(sqlite3_column_int64(sqlite, 7))
        bucket.costUSD += RollupCoding.usd(nano: sqlite3_column_int64(sqlite, 8))
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
