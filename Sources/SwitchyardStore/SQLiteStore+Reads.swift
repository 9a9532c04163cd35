import Foundation
import GRDB
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
        var conditions = ["r.bucket_start >= ?", "r.bucket_start < ?"]
        var arguments: [any DatabaseValueConvertible] = [
            floorTo(Int64(query.since.secondsSinceEpoch.rounded(.down)), Int64(query.step.seconds)),
            Int64(query.until.secondsSinceEpoch.rounded(.up)),
        ]
        if let provider = query.provider { conditions.append("t.provider = ?"); arguments.append(provider.rawValue) }
        if let model = query.model { conditions.append("t.model = ?"); arguments.append(model.rawValue) }
        return try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT t.provider, t.model, r.bucket_start, r.source, r.count, r.failures, r.latency, r.ttft,
                       r.tokens_in, r.tokens_out, r.cost_nusd
                FROM \(table) r JOIN targets t ON t.id = r.target_id
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY t.provider, t.model, r.bucket_start
                """, arguments: StatementArguments(arguments))
            var buckets: [HistoryBucket] = []
            var lastTarget: (provider: String, model: String, target: Target)?
            while let row = try rows.next() {
                let provider: String = row["provider"], model: String = row["model"]
                if lastTarget?.provider != provider || lastTarget?.model != model {
                    lastTarget = (provider, model, Target(provider: ProviderID(provider), model: ModelName(model)))
                }
                let target = lastTarget!.target
                let start = Timestamp(secondsSinceEpoch: Double(row["bucket_start"] as Int64))
                if buckets.last?.target != target || buckets.last?.start != start {
                    buckets.append(HistoryBucket(target: target, start: start))
                }
                let count: Int = row["count"]
                var bucket = buckets[buckets.count - 1]
                bucket.count += count
                if (row["source"] as Int) == 1 { bucket.reports += count }
                for (name, failures) in RollupCoding.decodeFailures(row["failures"]) {
                    bucket.failures[ErrorClass(rawValue: name) ?? .badResponse, default: 0] += failures
                }
                bucket.latency.merge(RollupCoding.decodeHistogram(row["latency"]))
                bucket.ttft.merge(RollupCoding.decodeHistogram(row["ttft"]))
                bucket.tokensIn += row["tokens_in"] as Int
                bucket.tokensOut += row["tokens_out"] as Int
                bucket.costUSD += RollupCoding.usd(nano: row["cost_nusd"])
                buckets[buckets.count - 1] = bucket
            }
            return buckets
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
}
