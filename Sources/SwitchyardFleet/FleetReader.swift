import Logging
import PostgresNIO
import SwitchyardCore

/// The reading side on its own connection: LISTENs on the fleet channel and, at each NOTIFY for
/// its group (or every `pollSeconds` in case one was missed), reads the group's rows after its
/// cursor. Peers' rows go to `deliver` marked with their host and `remote_weight`; this host's own
/// rows only move the cursor; a row that does not decode is skipped and counted, never fatal.
struct FleetReader: Sendable {
    let connection: PostgresConnection
    let host: String
    let group: String
    let remoteWeight: Double
    let logger: Logger
    var statementSeconds: Double = 5
    var pollSeconds: Double = 1
    /// The most rows read at once.
    static let readLimit = 1000

    /// What a read found.
    struct Batch {
        var evidence: [Observation] = []
        var undecodable: [String] = []
        var cursor: Int64
        var full = false
    }

    /// The newest row of the group now: where a host that just joined starts reading.
    func newestSeq() async throws -> Int64 {
        try await withDeadline(statementSeconds, on: connection, "reading the newest row") { [connection, group, logger] in
            let rows = try await connection.query(
                "SELECT COALESCE(MAX(seq), 0)::int8 FROM fleet_evidence WHERE fleet_group = \(group)", logger: logger)
            for try await seq in rows.decode(Int64.self) { return seq }
            return 0
        }
    }

    /// Reads the rows of the group after `cursor`.
    func read(after cursor: Int64) async throws -> Batch {
        try await withDeadline(statementSeconds, on: connection, "reading peers' rows") { [connection, group, host, remoteWeight, logger] in
            let query: PostgresQuery = """
                SELECT seq, host, \(unescaped: FleetEvidence.columns) FROM fleet_evidence
                WHERE fleet_group = \(group) AND seq > \(cursor) ORDER BY seq LIMIT \(Self.readLimit)
                """
            let rows = try await connection.query(query, logger: logger)
            var batch = Batch(cursor: cursor)
            var count = 0
            for try await row in rows {
                count += 1
                let seq = (try? row.makeRandomAccess()[0].decode(Int64.self)) ?? batch.cursor
                batch.cursor = max(batch.cursor, seq)
                do {
                    var evidence = try FleetEvidence.decode(row)
                    guard evidence.host != host else { continue }
                    evidence.observation.evidenceWeight = remoteWeight
                    batch.evidence.append(evidence.observation)
                } catch {
                    batch.undecodable.append("\(error)")
                }
            }
            batch.full = count == Self.readLimit
            return batch
        }
    }
}
