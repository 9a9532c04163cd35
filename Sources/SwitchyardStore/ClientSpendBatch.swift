import GRDB
import SwitchyardCore

/// The gateway spend of one batch per client and UTC day, merged into `client_spend` with one
/// UPSERT per key inside the batch's transaction (as `ProbeSpendBatch` does for probes).
struct ClientSpendBatch {
    private struct Key: Hashable {
        var client: String
        var day: Int64
    }

    private var spend: [Key: (requests: Int, nano: Int64)] = [:]

    /// Counts a gateway attempt charged to its caller (`Observation.chargedToReporter`) that has a
    /// cost, on the UTC day it finished (the day the gateway's limiter counted it on).
    mutating func add(_ o: Observation) {
        guard o.chargedToReporter, let client = o.reporter, let cost = o.costUSD, cost > 0 else { return }
        let key = Key(client: client, day: floorTo(wholeSeconds(o.finishedAt.secondsSinceEpoch), 86_400) / 86_400)
        let previous = spend[key] ?? (0, 0)
        spend[key] = (previous.requests + 1, previous.nano + StoredCodes.nanoUSD(cost))
    }

    func write(_ db: Database) throws {
        guard !spend.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO client_spend (client, day, requests, cost_nusd) VALUES (?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET requests = requests + excluded.requests, cost_nusd = cost_nusd + excluded.cost_nusd
            """)
        for (key, value) in spend {
            try statement.execute(arguments: [key.client, key.day, value.requests, value.nano])
        }
    }
}
