import GRDB
import SwitchyardCore

/// The probe spend of one batch per provider and UTC day, merged into `probe_spend` with one
/// UPSERT per key inside the batch's transaction.
struct ProbeSpendBatch {
    private struct Key: Hashable {
        var provider: String
        var day: Int64
    }

    private var spend: [Key: (probes: Int, nano: Int64)] = [:]

    /// Counts a probe that has a cost (reports and free probes are not probe spend).
    mutating func add(_ o: Observation) {
        guard o.source == .probe, let cost = o.costUSD else { return }
        let key = Key(provider: o.target.provider.rawValue, day: floorTo(wholeSeconds(o.startedAt.secondsSinceEpoch), 86_400) / 86_400)
        let previous = spend[key] ?? (0, 0)
        spend[key] = (previous.probes + 1, previous.nano + StoredCodes.nanoUSD(cost))
    }

    func write(_ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO probe_spend (provider, day, probes, cost_nusd) VALUES (?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET probes = probes + excluded.probes, cost_nusd = cost_nusd + excluded.cost_nusd
            """)
        for (key, value) in spend {
            try statement.execute(arguments: [key.provider, key.day, value.probes, value.nano])
        }
    }
}
