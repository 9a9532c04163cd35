import Logging
import PostgresNIO
import SwitchyardCore

/// The writing side on one connection: publishes the outbox in batches (each in a transaction
/// that holds the group's advisory lock, so rows of a group commit in `seq` order and a reader's
/// cursor never skips one; NOTIFY from the same transaction), writes this host's heartbeat, reads
/// the group's hosts, and prunes rows past retention in small transactions.
struct FleetPublisher: Sendable {
    let connection: PostgresConnection
    let host: String
    let group: String
    let logger: Logger
    /// How long one statement (or one batch's transaction) may take.
    var statementSeconds: Double = 5

    /// The channel peers LISTEN on; the payload is the group.
    static let channel = "switchyard_fleet"
    /// The most rows in one INSERT.
    static let batchSize = 500
    /// The most rows one retention transaction deletes.
    static let pruneBatch = 1000

    /// Publishes everything waiting, batch by batch; returns how many rows went out.
    func flush(_ outbox: FleetOutbox) async throws -> Int {
        var total = 0
        while true {
            let (rows, droppedBefore) = outbox.peek(limit: Self.batchSize)
            guard !rows.isEmpty else { return total }
            let query = try FleetEvidence.insert(rows, group: group, host: host)
            try await withDeadline(statementSeconds, on: connection, "publishing \(rows.count) observations") { [connection, group, logger] in
                try await connection.withTransaction(logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(7, hashtext(\(group)))", logger: logger)
                    try await connection.query(query, logger: logger)
                    try await connection.query("SELECT pg_notify(\(Self.channel), \(group))", logger: logger)
                }
            }
            outbox.remove(rows.count, droppedBefore: droppedBefore)
            total += rows.count
        }
    }

    /// Writes this host's heartbeat and returns the group's hosts as PostgreSQL's clock sees them.
    func heartbeat(lagSeconds: Double, unhealthyTargets: Int, version: String) async throws -> [FleetHost] {
        try await withDeadline(statementSeconds, on: connection, "the heartbeat") { [connection, host, group, logger] in
            try await connection.query("""
                INSERT INTO fleet_hosts (fleet_group, host, last_seen, publish_lag_ms, unhealthy_targets, version)
                VALUES (\(group), \(host), now(), \(lagSeconds * 1000), \(unhealthyTargets), \(version))
                ON CONFLICT (fleet_group, host) DO UPDATE SET last_seen = now(), publish_lag_ms = EXCLUDED.publish_lag_ms,
                    unhealthy_targets = EXCLUDED.unhealthy_targets, version = EXCLUDED.version
                """, logger: logger)
            let rows = try await connection.query("""
                SELECT host, EXTRACT(EPOCH FROM last_seen)::float8, publish_lag_ms, unhealthy_targets,
                       EXTRACT(EPOCH FROM now() - last_seen)::float8
                FROM fleet_hosts WHERE fleet_group = \(group) ORDER BY host
                """, logger: logger)
            var hosts: [FleetHost] = []
            for try await (name, lastSeen, lagMs, unhealthy, age) in rows.decode((String, Double, Double, Int, Double).self) {
                hosts.append(FleetHost(name: name, lastSeen: Timestamp(secondsSinceEpoch: lastSeen), publishLagSeconds: lagMs / 1000,
                                       unhealthyTargets: unhealthy, isSelf: name == host, stale: age > FleetHost.staleAfterSeconds))
            }
            return hosts
        }
    }

    /// Deletes shared rows older than `retentionSeconds` (every group's: the oldest first, at most
    /// `pruneBatch` a transaction, so no long lock), and hosts silent that long. Returns rows deleted.
    func prune(retentionSeconds: Double) async throws -> Int {
        var deleted = 0
        while true {
            let count = try await withDeadline(statementSeconds, on: connection, "pruning shared rows") { [connection, logger] in
                let rows = try await connection.query("""
                    WITH old AS (SELECT seq FROM fleet_evidence WHERE recorded_at < now() - make_interval(secs => \(retentionSeconds))
                                 ORDER BY seq LIMIT \(Self.pruneBatch))
                    DELETE FROM fleet_evidence WHERE seq IN (SELECT seq FROM old) RETURNING 1
                    """, logger: logger)
                var count = 0
                for try await _ in rows { count += 1 }
                return count
            }
            deleted += count
            if count < Self.pruneBatch { break }
        }
        try await withDeadline(statementSeconds, on: connection, "pruning silent hosts") { [connection, logger] in
            try await connection.query("DELETE FROM fleet_hosts WHERE last_seen < now() - make_interval(secs => \(retentionSeconds))", logger: logger)
        }
        return deleted
    }
}
