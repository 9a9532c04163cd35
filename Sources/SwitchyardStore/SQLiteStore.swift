import Foundation
import GRDB
import Synchronization
import SwitchyardCore

/// Why the state database could not be opened or written; names the file and what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB, a failed structural check), as opposed
    /// to unreachable (permissions, a full or read-only disk, a lock) or from a newer schema:
    /// only a damaged file may be moved aside.
    public var isCorruption = false
    /// What is wrong, without the advice (for messages that say what was done about it).
    public var problem: String

    init(description: String, isCorruption: Bool = false, problem: String? = nil) {
        self.description = description
        self.isCorruption = isCorruption
        self.problem = problem ?? description
    }
}

/// The SQLite database in WAL mode: schema, migrations and batched writes.
/// Readers use the pool's own connections and never wait for the writer.
public final class SQLiteStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// Row ids of targets already in the table (rows are never deleted): saves two
    /// statements per target per batch. Only ids from committed transactions get here.
    private let knownTargetIDs = Mutex<[Target: Int64]>([:])

    /// Opens (creating if needed) and migrates the database at `path`. Refuses, without
    /// modifying it, a file that is not SQLite, is corrupt, or was written by a newer schema.
    public init(path: String, busyTimeoutSeconds: Double = 5) throws {
        self.path = path
        var configuration = GRDB.Configuration()
        // Wait for another writer (another process, a backup) instead of failing at once.
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        // Two reader connections serve history queries and warm start; the default five would
        // each hold its own page cache for no gain on a single-process daemon.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            // WAL (set by DatabasePool) + NORMAL: a committed transaction survives a process
            // crash (kill -9); only an OS crash can lose the last few, and the file never corrupts.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // The schema declares its references; let SQLite enforce them.
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // After a checkpoint resets the WAL, truncate it to this size, so one burst of
            // writes (pruning, a VACUUM) does not leave a large -wal file behind for good.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            // The writer gets 4 MiB of page cache instead of the 2 MiB default: compaction reads a
            // tail hour and rewrites blocks across the file, and re-reading pages is its cost.
            // Readers (history, warm start) keep the default, so the pool does not multiply it.
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -4096") }
        }
        do {
            if FileManager.default.fileExists(atPath: path) { try Self.preflight(path: path, busyTimeoutSeconds: busyTimeoutSeconds) }
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.prepareSchema(pool, path: path)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw StoreError(description: "\(path) is not a usable SQLite database (\(error.resultCode)): move it aside or restore it from a backup, then start again; it was not modified",
                             isCorruption: true, problem: "not a usable SQLite database (\(error.resultCode))")
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(description: "cannot open the state database \(path): \(error)")
        }
    }

    /// Checks an existing file through a read-only connection, before anything (even the
    /// switch to WAL) can modify it: it must be an intact SQLite file of a schema we know.
    /// It waits for a lock as the store does: a process that is closing the file (a daemon being
    /// restarted, its last checkpoint) holds it for a moment, which is no reason to refuse to start.
    private static func preflight(path: String, busyTimeoutSeconds: Double) throws {
        var readOnly = GRDB.Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(busyTimeoutSeconds)
        let queue = try DatabaseQueue(path: path, configuration: readOnly)
        defer { try? queue.close() }
        try queue.read { db in
            // A structural check: a truncated or overwritten file is caught here.
            let problem = try String.fetchOne(db, sql: "PRAGMA quick_check(1)") ?? "no answer"
            guard problem == "ok" else {
                throw StoreError(description: "\(path) is corrupt (\(problem)): move it aside or restore it from a backup, then start again; it was not modified",
                                 isCorruption: true, problem: "corrupt (\(problem))")
            }
            let migrator = SchemaMigrations.migrator
            let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
            guard unknown.isEmpty else {
                throw StoreError(description: "\(path) was written by a newer Switchyard (schema migrations \(unknown.joined(separator: ", ")) are unknown to this version, which knows up to \(migrator.migrations.last!)); run that newer version, or move the file aside to start with an empty database; it was not modified")
            }
        }
    }

    /// Makes a new file incrementally vacuumable, then applies the migrations.
    private static func prepareSchema(_ pool: DatabasePool, path: String) throws {
        let migrator = SchemaMigrations.migrator
        try pool.writeWithoutTransaction { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") == 0 {
                // Must be chosen before the first table exists: freed pages can then be handed
                // back to the file system with `PRAGMA incremental_vacuum` after pruning.
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            }
        }
        try migrator.migrate(pool)
        try pool.writeWithoutTransaction { db in
            if try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != 2 {
                // A file created before auto_vacuum was set (schema v1): switching needs one full VACUUM.
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "VACUUM")
            }
        }
    }

    /// Writes a batch in one transaction: all of it is committed, or none. Observations go to
    /// the tail (one row each); `compact` later moves closed hours into blocks and rollups.
    public func write(_ records: [StoreRecord]) throws {
        let known = knownTargetIDs.withLock { $0 }
        let learned = try pool.write { db -> [Target: Int64] in
            var targetIDs = known
            var spend = ProbeSpendBatch()
            var clientSpend = ClientSpendBatch()
            let insertObservation = try db.cachedStatement(sql: """
                INSERT INTO observations (target_id, source, started_at, outcome, http_status, total_ms, ttft_ms,
                                          tokens_in, tokens_out, cost_usd, retry_at, message, reporter, audio_seconds, images)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                switch record {
                case .observation(let o):
                    let id = try targetID(o.target, db: db, cache: &targetIDs)
                    spend.add(o)
                    clientSpend.add(o)
                    try insertObservation.execute(arguments: [
                        id, o.source.rawValue, o.startedAt.secondsSinceEpoch, o.outcome.label, o.httpStatus,
                        o.totalSeconds * 1000, o.ttftSeconds.map { $0 * 1000 }, o.tokensIn, o.tokensOut, o.costUSD,
                        o.retryAt?.secondsSinceEpoch, o.message, o.reporter, o.audioSeconds, o.images,
                    ])
                case .transition(let t):
                    let id = try targetID(t.target, db: db, cache: &targetIDs)
                    try db.cachedStatement(sql: "INSERT INTO transitions (target_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)")
                        .execute(arguments: [id, t.at.secondsSinceEpoch, t.from.rawValue, t.to.rawValue, t.reason])
                case .daemonEvent(let e):
                    try db.cachedStatement(sql: "INSERT INTO daemon_events (at, kind, caller, message) VALUES (?, ?, ?, ?)")
                        .execute(arguments: [e.at.secondsSinceEpoch, e.kind.rawValue, e.caller, e.message])
                }
            }
            try spend.write(db)
            try clientSpend.write(db)
            return targetIDs
        }
        if learned.count > known.count { knownTargetIDs.withLock { $0.merge(learned) { old, _ in old } } }
    }

    func targetID(_ target: Target, db: Database, cache: inout [Target: Int64]) throws -> Int64 {
        if let id = cache[target] { return id }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO targets (provider, model) VALUES (?, ?)")
            .execute(arguments: [target.provider.rawValue, target.model.rawValue])
        let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM targets WHERE provider = ? AND model = ?"),
                                    arguments: [target.provider.rawValue, target.model.rawValue])!
        cache[target] = id
        return id
    }
}

/// One row to write.
public enum StoreRecord: Sendable {
    case observation(Observation)
    case transition(Transition)
    case daemonEvent(DaemonEvent)
}
