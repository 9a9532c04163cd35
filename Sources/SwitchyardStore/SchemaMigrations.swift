import GRDB

/// The schema, as named migrations applied in order. Never edit a shipped migration: add one.
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
        return migrator
    }
}
