import Foundation
import GRDB
import SwitchyardCore

/// Why the state database could not be opened or written; names the file and what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The SQLite database in WAL mode: schema, migrations and batched writes.
/// Readers use the pool's own connections and never wait for the writer.
public final class SQLiteStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String, busyTimeoutSeconds: Double = 5) throws {
        self.path = path
        var configuration = GRDB.Configuration()
        // Wait for another writer (another process, a backup) instead of failing at once.
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a committed transaction survives a process crash (kill -9);
            // only an OS crash can lose the last few, and the file never corrupts.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try SchemaMigrations.migrator.migrate(pool)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw StoreError(description: "\(path) is not a usable SQLite database (\(error.resultCode)): move it aside or restore it from a backup, then start again; it was not modified")
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(description: "cannot open the state database \(path): \(error)")
        }
    }

    /// Writes a batch in one transaction: all of it is committed, or none.
    public func write(_ records: [StoreRecord]) throws {
        try pool.write { db in
            var targetIDs: [Target: Int64] = [:]
            for record in records {
                switch record {
                case .observation(let o):
                    let id = try targetID(o.target, db: db, cache: &targetIDs)
                    try db.cachedStatement(sql: """
                        INSERT INTO observations (target_id, source, started_at, outcome, http_status, total_ms, ttft_ms,
                                                  tokens_in, tokens_out, cost_usd, retry_at, message)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [
                        id, o.source.rawValue, o.startedAt.secondsSinceEpoch, o.outcome.label, o.httpStatus,
                        o.totalSeconds * 1000, o.ttftSeconds.map { $0 * 1000 }, o.tokensIn, o.tokensOut, o.costUSD,
                        o.retryAt?.secondsSinceEpoch, o.message,
                    ])
                case .transition(let t):
                    let id = try targetID(t.target, db: db, cache: &targetIDs)
                    try db.cachedStatement(sql: "INSERT INTO transitions (target_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)")
                        .execute(arguments: [id, t.at.secondsSinceEpoch, t.from.rawValue, t.to.rawValue, t.reason])
                }
            }
        }
    }

    private func targetID(_ target: Target, db: Database, cache: inout [Target: Int64]) throws -> Int64 {
        if let id = cache[target] { return id }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO targets (provider, model) VALUES (?, ?)")
            .execute(arguments: [target.provider.rawValue, target.model.rawValue])
        let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM targets WHERE provider = ? AND model = ?"),
                                    arguments: [target.provider.rawValue, target.model.rawValue])!
        cache[target] = id
        return id
    }

    /// The stored observations of one target, oldest first.
    public func observations(of target: Target, limit: Int = 1000) throws -> [Observation] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.* FROM observations o JOIN targets t ON t.id = o.target_id
                WHERE t.provider = ? AND t.model = ? ORDER BY o.started_at, o.id LIMIT ?
                """, arguments: [target.provider.rawValue, target.model.rawValue, limit])
            return rows.map { row in
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
        }
    }

    /// The stored transitions, oldest first.
    public func transitions(limit: Int = 1000) throws -> [Transition] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.provider, t.model, x.at, x.from_state, x.to_state, x.reason
                FROM transitions x JOIN targets t ON t.id = x.target_id ORDER BY x.at, x.id LIMIT ?
                """, arguments: [limit]).map { row in
                Transition(
                    target: Target(provider: ProviderID(row["provider"] as String), model: ModelName(row["model"] as String)),
                    from: TargetState(rawValue: row["from_state"]) ?? .unknown, to: TargetState(rawValue: row["to_state"]) ?? .unknown,
                    at: Timestamp(secondsSinceEpoch: row["at"]), reason: row["reason"]
                )
            }
        }
    }

    /// `PRAGMA integrity_check`: "ok" for a healthy file.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }
}

/// One row to write.
public enum StoreRecord: Sendable {
    case observation(Observation)
    case transition(Transition)
}
