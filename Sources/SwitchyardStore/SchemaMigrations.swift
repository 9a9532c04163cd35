import Foundation
import GRDB
import SwitchyardCore

/// The schema, as named migrations applied in order. Never edit a shipped migration: add one.
/// A database that lists a migration this build does not know was written by a newer
/// Switchyard and is refused (see `SQLiteStore.init`).
enum SchemaMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-observations-and-transitions") { db in
            try db.execute(sql: """
                CREATE TABLE targets (
                    id INTEGER PRIMARY KEY,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    UNIQUE (provider, model)
                );
                CREATE TABLE observations (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL REFERENCES targets(id),
                    source TEXT NOT NULL CHECK (source IN ('probe', 'report')),
                    started_at REAL NOT NULL,
                    outcome TEXT NOT NULL,
                    http_status INTEGER,
                    total_ms REAL NOT NULL,
                    ttft_ms REAL,
                    tokens_in INTEGER,
                    tokens_out INTEGER,
                    cost_usd REAL,
                    retry_at REAL,
                    message TEXT
                );
                CREATE INDEX observations_by_target_time ON observations (target_id, started_at);
                CREATE TABLE transitions (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL REFERENCES targets(id),
                    at REAL NOT NULL,
                    from_state TEXT NOT NULL,
                    to_state TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE INDEX transitions_by_time ON transitions (at);
                """)
        }
        migrator.registerMigration("v2-rollups-and-probe-spend") { db in
            // Rollups are keyed by target first so one target's history is contiguous on disk
            // (WITHOUT ROWID: the key is the row, no second b-tree). `source` is 0 for probes
            // and 1 for client reports: SQLite stores the integers 0 and 1 in no payload bytes.
            // Times are whole Unix seconds, money whole nano-USD: small integers, not 8-byte REALs.
            for table in ["rollups_minute", "rollups_hour"] {
                try db.execute(sql: """
                    CREATE TABLE \(table) (
                        target_id INTEGER NOT NULL REFERENCES targets(id),
                        bucket_start INTEGER NOT NULL,
                        source INTEGER NOT NULL CHECK (source IN (0, 1)),
                        count INTEGER NOT NULL,
                        ok INTEGER NOT NULL,
                        failures TEXT,
                        latency BLOB,
                        ttft BLOB,
                        tokens_in INTEGER NOT NULL,
                        tokens_out INTEGER NOT NULL,
                        cost_nusd INTEGER NOT NULL,
                        PRIMARY KEY (target_id, bucket_start, source)
                    ) WITHOUT ROWID
                    """)
            }
            try db.execute(sql: """
                CREATE TABLE probe_spend (
                    provider TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    probes INTEGER NOT NULL,
                    cost_nusd INTEGER NOT NULL,
                    PRIMARY KEY (provider, day)
                ) WITHOUT ROWID;
                CREATE INDEX transitions_by_target ON transitions (target_id, id);
                """)
            // Rollups (and probe spend) of rows written before this version are built by v4, from
            // the raw rows: this migration's original backfill used code that no longer exists.
        }
        migrator.registerMigration("v3-daemon-events") { db in
            try db.execute(sql: """
                CREATE TABLE daemon_events (
                    id INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    caller TEXT NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX daemon_events_by_time ON daemon_events (at);
                """)
        }
        migrator.registerMigration("v4-blocks") { db in
            // Compacted history: one deflated row per target and half-hour (raw observations), hour
            // (minute rollups) or day (hour rollups); `observations` stays as the tail the writer
            // appends to, and `live_minutes` holds the minute rollups of the tail (see `LiveMinutes`).
            try db.execute(sql: """
                CREATE TABLE blocks (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL REFERENCES targets(id),
                    kind INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
                    start INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    UNIQUE (target_id, kind, start)
                )
                """)
            try convertRollupsToBlocks(db)
            // The tail, recreated empty (every row is in a block now) with AUTOINCREMENT, so row ids
            // never go back: `live_minutes` covers exactly the tail rows up to `summarized_id`.
            // (The same columns as v1's table: migrations are history and are not shared.)
            try db.execute(sql: """
                DROP TABLE observations;
                CREATE TABLE observations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    target_id INTEGER NOT NULL REFERENCES targets(id),
                    source TEXT NOT NULL CHECK (source IN ('probe', 'report')),
                    started_at REAL NOT NULL,
                    outcome TEXT NOT NULL,
                    http_status INTEGER,
                    total_ms REAL NOT NULL,
                    ttft_ms REAL,
                    tokens_in INTEGER,
                    tokens_out INTEGER,
                    cost_usd REAL,
                    retry_at REAL,
                    message TEXT
                );
                CREATE INDEX observations_by_target_time ON observations (target_id, started_at);
                CREATE TABLE live_minutes (
                    target_id INTEGER NOT NULL REFERENCES targets(id),
                    start INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (target_id, start)
                ) WITHOUT ROWID;
                CREATE TABLE store_state (
                    name TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE damaged_blocks (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL,
                    kind INTEGER NOT NULL,
                    start INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    reason TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v5-reporters-and-client-spend") { db in
            // Who sent each report (`uid:1000`, a client name, `anonymous`; never a token), and each
            // client's gateway spend per UTC day, so a restart does not give a client its budget back.
            // The tail's rows before this version have no reporter (NULL). Blocks do not keep it.
            try db.execute(sql: """
                ALTER TABLE observations ADD COLUMN reporter TEXT;
                CREATE TABLE client_spend (
                    client TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    requests INTEGER NOT NULL,
                    cost_nusd INTEGER NOT NULL,
                    PRIMARY KEY (client, day)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6-discovery-catalogs") { db in
            // The last good catalog each discovering provider answered (the entries its filters kept,
            // as JSON), so a restart without network still knows the discovered targets. One row per
            // provider, replaced on every good refresh; never a key.
            try db.execute(sql: """
                CREATE TABLE discovery_catalogs (
                    provider TEXT PRIMARY KEY,
                    fetched_at REAL NOT NULL,
                    entries TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v7-catalog-source") { db in
            // Where each catalog was read (base URL and provider kind): after either changes, the
            // stored catalog is another endpoint's and is not restored. Rows from v6 have neither.
            try db.execute(sql: "ALTER TABLE discovery_catalogs ADD COLUMN base_url TEXT")
            try db.execute(sql: "ALTER TABLE discovery_catalogs ADD COLUMN kind TEXT")
        }
        migrator.registerMigration("v8-task-figures") { db in
            // Seconds of audio (speech tasks) and images made (text-to-image) of each raw row, so a
            // restart keeps a speech-to-text target's compute per audio second. Rows before this
            // version have neither (NULL); raw blocks carry them from `BlockCoding.observationsFormat`.
            try db.execute(sql: "ALTER TABLE observations ADD COLUMN audio_seconds REAL")
            try db.execute(sql: "ALTER TABLE observations ADD COLUMN images INTEGER")
        }
        return migrator
    }

    /// v4: every raw row goes into its raw block, so the tail starts empty (the table is then
    /// recreated). It uses today's encoders (`BlockCoding`, `appendToBlocks`): a later change
    /// to the block format must bump `BlockCoding.format` and keep reading this one. Rollups:
    /// the v2 rollup rows become rollup blocks (they already count every raw row: the writer
    /// committed both together); a database without any (one from v1, whose v2 step no longer
    /// backfills) gets them computed from its raw rows. Then the rollup tables go.
    private static func convertRollupsToBlocks(_ db: Database) throws {
        let rolledUp = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM rollups_hour)") ?? false
        for (targetID, target) in try SQLiteStore.targets(db) {
            let rows = try TailRows.fetch(db.makeStatement(sql: "SELECT \(TailRows.columnsBeforeV8), NULL, NULL FROM observations WHERE target_id = ?"), arguments: [targetID], target: target)
            let byHour = Dictionary(grouping: rows) {
                floorTo(wholeSeconds($0.startedAt.secondsSinceEpoch), 3600)
            }
            for (hour, observations) in byHour {
                if rolledUp {
                    for (start, part) in Dictionary(grouping: observations, by: { BlockKind.raw.blockStart(of: $0.startedAt.secondsSinceEpoch) }) {
                        try BlockTable.write(db, targetID: targetID, kind: .raw, start: start, count: part.count,
                                             bytes: BlockCoding.encode(observations: part, blockStart: start))
                    }
                } else {
                    try SQLiteStore.appendToBlocks(db, targetID: targetID, target: target, hourStart: hour, observations: observations)
                }
            }
            guard rolledUp else {
                // v2 no longer backfills (its code is gone), so a v1 file's probe spend is built here.
                var spend = ProbeSpendBatch()
                rows.forEach { spend.add($0) }
                try spend.write(db)
                continue
            }
            for kind in [BlockKind.minutes, .hours] {
                let table = kind == .minutes ? "rollups_minute" : "rollups_hour"
                var blocks: [Int64: [Int: Rollup]] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) WHERE target_id = ?", arguments: [targetID]) {
                    let start: Int64 = row["bucket_start"]
                    let blockStart = floorTo(start, kind.periodSeconds)
                    blocks[blockStart, default: [:]][Int((start - blockStart) / kind.slotSeconds), default: Rollup()].merge(v2Rollup(row))
                }
                for (start, rollups) in blocks {
                    try BlockTable.write(db, targetID: targetID, kind: kind, start: start, count: rollups.values.reduce(0) { $0 + $1.count },
                                         bytes: BlockCoding.encode(rollups: rollups))
                }
            }
        }
        try db.execute(sql: "DROP TABLE rollups_minute; DROP TABLE rollups_hour")
    }

    /// A v2 rollup row (failures as `class=count,…` text, histograms as (index byte, varint count) pairs).
    private static func v2Rollup(_ row: Row) -> Rollup {
        var rollup = Rollup()
        rollup.count = row["count"]
        if (row["source"] as Int) == 1 { rollup.reports = rollup.count }
        for part in ((row["failures"] as String?) ?? "").split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let count = Int(pair[1]) else { continue }
            rollup.failures[ErrorClass(rawValue: String(pair[0])) ?? .badResponse, default: 0] += count
        }
        rollup.latency = v2Histogram(row["latency"])
        rollup.ttft = v2Histogram(row["ttft"])
        rollup.tokensIn = row["tokens_in"]
        rollup.tokensOut = row["tokens_out"]
        rollup.costNano = row["cost_nusd"]
        return rollup
    }

    private static func v2Histogram(_ data: Data?) -> LatencyHistogram {
        guard let data else { return LatencyHistogram() }
        let bins = try? ByteReader.reading(Array(data)) { reader in
            var bins: [LatencyHistogram.Bin] = []
            while !reader.isAtEnd, let index = try? reader.byte(), let count = try? reader.int() {
                bins.append(LatencyHistogram.Bin(index: Int(index), count: count))
            }
            return bins
        }
        return LatencyHistogram(bins: bins ?? [])
    }
}
