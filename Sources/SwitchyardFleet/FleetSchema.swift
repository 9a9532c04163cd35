import Logging
import PostgresNIO

/// Brings the fleet database to this build's schema (`FleetMigration.all`), under an advisory
/// lock so hosts starting together migrate once. A database already at a newer version is
/// `FleetError.newerSchema`: this host then serves alone rather than write rows it does not understand.
public enum FleetSchema {
    /// The advisory lock key that serialises migrations ("SWYD" as an integer).
    static let migrationLock: Int64 = 0x5357_5944

    /// The version this build expects.
    public static var currentVersion: Int { FleetMigration.all.last?.version ?? 0 }

    /// Applies the missing steps; returns the version the database had before.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection, migrations: [FleetMigration] = FleetMigration.all,
                               logger: Logger) async throws -> Int {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS switchyard_schema (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """, logger: logger)
        let known = migrations.last?.version ?? 0
        do {
            return try await migrateLocked(connection, migrations: migrations, known: known, logger: logger)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    private static func migrateLocked(_ connection: PostgresConnection, migrations: [FleetMigration], known: Int,
                                      logger: Logger) async throws -> Int {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            let found = try await version(connection, logger: logger)
            guard found <= known else { throw FleetError.newerSchema(found: found, known: known) }
            for step in migrations where step.version > found {
                for statement in step.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO switchyard_schema (version, name) VALUES (\(step.version), \(step.name))", logger: logger)
                logger.info("fleet schema migrated", metadata: ["version": "\(step.version)", "step": "\(step.name)"])
            }
            return found
        }
    }

    /// The database's schema version (0 for an empty database).
    public static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query("SELECT COALESCE(MAX(version), 0) FROM switchyard_schema", logger: logger)
        for try await (version) in rows.decode(Int.self) { return version }
        return 0
    }
}
