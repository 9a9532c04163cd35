import GRDB

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
            try backfillRollups(db)
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
        return migrator
    }

    /// Builds the rollups of the raw rows a v1 database already holds, a chunk at a time.
    private static func backfillRollups(_ db: Database) throws {
        var lastID: Int64 = 0
        while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.id, o.target_id, t.provider, o.source, o.started_at, o.outcome, o.total_ms, o.ttft_ms,
                       o.tokens_in, o.tokens_out, o.cost_usd
                FROM observations o JOIN targets t ON t.id = o.target_id WHERE o.id > ? ORDER BY o.id LIMIT 10000
                """, arguments: [lastID])
            guard let last = rows.last else { return }
            var batch = RollupBatch()
            for row in rows {
                batch.add(RollupSample(
                    targetID: row["target_id"], provider: row["provider"], isReport: (row["source"] as String) == "report",
                    startedAt: row["started_at"], outcome: row["outcome"], totalMs: row["total_ms"], ttftMs: row["ttft_ms"],
                    tokensIn: row["tokens_in"], tokensOut: row["tokens_out"], costUSD: row["cost_usd"]
                ))
            }
            try batch.write(db)
            lastID = last["id"]
        }
    }
}
