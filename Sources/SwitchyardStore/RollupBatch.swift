import GRDB
import SwitchyardCore

/// One observation reduced to what rollups keep.
struct RollupSample {
    var targetID: Int64
    var provider: String
    var isReport: Bool
    var startedAt: Double
    var outcome: String
    var totalMs: Double
    var ttftMs: Double?
    var tokensIn: Int?
    var tokensOut: Int?
    var costUSD: Double?

    init(targetID: Int64, observation o: Observation) {
        self.init(targetID: targetID, provider: o.target.provider.rawValue, isReport: o.source == .report,
                  startedAt: o.startedAt.secondsSinceEpoch, outcome: o.outcome.label, totalMs: o.totalSeconds * 1000,
                  ttftMs: o.ttftSeconds.map { $0 * 1000 }, tokensIn: o.tokensIn, tokensOut: o.tokensOut, costUSD: o.costUSD)
    }

    init(targetID: Int64, provider: String, isReport: Bool, startedAt: Double, outcome: String, totalMs: Double,
         ttftMs: Double?, tokensIn: Int?, tokensOut: Int?, costUSD: Double?) {
        self.targetID = targetID
        self.provider = provider
        self.isReport = isReport
        self.startedAt = startedAt
        self.outcome = outcome
        self.totalMs = totalMs
        self.ttftMs = ttftMs
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.costUSD = costUSD
    }
}

/// The minute and hour rollups and the probe spend of one batch, aggregated in memory and
/// merged into the tables with one UPSERT per key, inside the batch's transaction.
struct RollupBatch {
    struct Key: Hashable {
        var targetID: Int64
        var start: Int64
        var source: Int
    }

    struct Partial {
        var count = 0
        var ok = 0
        var failures: [String: Int] = [:]
        var latency = LatencyHistogram()
        var ttft = LatencyHistogram()
        var tokensIn = 0
        var tokensOut = 0
        var costNano: Int64 = 0

        mutating func add(_ sample: RollupSample) {
            count += 1
            if sample.outcome == "ok" {
                ok += 1
                latency.add(milliseconds: sample.totalMs)
                if let ttftMs = sample.ttftMs { ttft.add(milliseconds: ttftMs) }
            } else {
                failures[sample.outcome, default: 0] += 1
            }
            tokensIn += sample.tokensIn ?? 0
            tokensOut += sample.tokensOut ?? 0
            costNano += RollupCoding.nanoUSD(sample.costUSD ?? 0)
        }
    }

    struct SpendKey: Hashable {
        var provider: String
        var day: Int64
    }

    private(set) var minutes: [Key: Partial] = [:]
    private(set) var hours: [Key: Partial] = [:]
    private(set) var spend: [SpendKey: (probes: Int, nano: Int64)] = [:]

    mutating func add(_ sample: RollupSample) {
        let second = Int64(sample.startedAt.rounded(.down))
        let source = sample.isReport ? 1 : 0
        minutes[Key(targetID: sample.targetID, start: floorTo(second, 60), source: source), default: Partial()].add(sample)
        hours[Key(targetID: sample.targetID, start: floorTo(second, 3600), source: source), default: Partial()].add(sample)
        if !sample.isReport, let cost = sample.costUSD {
            let key = SpendKey(provider: sample.provider, day: floorTo(second, 86_400) / 86_400)
            let previous = spend[key] ?? (0, 0)
            spend[key] = (previous.probes + 1, previous.nano + RollupCoding.nanoUSD(cost))
        }
    }

    /// Merges everything into the tables; call inside the transaction that wrote the raw rows.
    func write(_ db: Database) throws {
        try upsert(minutes, into: "rollups_minute", db)
        try upsert(hours, into: "rollups_hour", db)
        let statement = try db.cachedStatement(sql: """
            INSERT INTO probe_spend (provider, day, probes, cost_nusd) VALUES (?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET probes = probes + excluded.probes, cost_nusd = cost_nusd + excluded.cost_nusd
            """)
        for (key, value) in spend {
            try statement.execute(arguments: [key.provider, key.day, value.probes, value.nano])
        }
    }

    private func upsert(_ partials: [Key: Partial], into table: String, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO \(table) (target_id, bucket_start, source, count, ok, failures, latency, ttft, tokens_in, tokens_out, cost_nusd)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET
                count = count + excluded.count,
                ok = ok + excluded.ok,
                failures = switchyard_merge_failures(failures, excluded.failures),
                latency = switchyard_merge_histogram(latency, excluded.latency),
                ttft = switchyard_merge_histogram(ttft, excluded.ttft),
                tokens_in = tokens_in + excluded.tokens_in,
                tokens_out = tokens_out + excluded.tokens_out,
                cost_nusd = cost_nusd + excluded.cost_nusd
            """)
        for (key, p) in partials {
            try statement.execute(arguments: [
                key.targetID, key.start, key.source, p.count, p.ok, RollupCoding.encode(p.failures),
                RollupCoding.encode(p.latency), RollupCoding.encode(p.ttft), p.tokensIn, p.tokensOut, p.costNano,
            ])
        }
    }
}

/// Rounds down to a multiple of `step`, also for negative values.
func floorTo(_ value: Int64, _ step: Int64) -> Int64 {
    let remainder = value % step
    return remainder < 0 ? value - remainder - step : value - remainder
}
