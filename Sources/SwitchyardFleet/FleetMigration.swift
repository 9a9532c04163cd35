/// One ordered step of the fleet's PostgreSQL schema. Steps are applied in `version` order,
/// each in its own transaction with its row in `switchyard_schema`; a step is never edited once
/// released, only followed by a new one.
///
/// Order: 1 is evidence and hosts (this module). Later versions (probe-duty leases, the fleet's
/// probe budget, fleet-wide drains) are appended by the code that uses them, to `FleetMigration.all`.
public struct FleetMigration: Sendable {
    /// The schema version this step brings the database to (1, 2, ...).
    public var version: Int
    /// A short name recorded beside the version.
    public var name: String
    /// The statements, run in order in one transaction.
    public var statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

extension FleetMigration {
    /// Every step this build knows, in order; the last one's version is the schema this build expects.
    public static var all: [FleetMigration] { [evidenceAndHosts] + later }

    /// Steps after version 1, appended by later work (leases, budget, drains) in version order.
    static let later: [FleetMigration] = [probeDutyBudgetAndDrains]

    /// Version 1: shared evidence rows (a sequence per row for the readers' cursors) and the hosts' heartbeats.
    static let evidenceAndHosts = FleetMigration(version: 1, name: "evidence and hosts", statements: [
        """
        CREATE TABLE fleet_evidence (
            seq BIGSERIAL PRIMARY KEY,
            fleet_group TEXT NOT NULL,
            host TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            kind TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            total_ms DOUBLE PRECISION NOT NULL,
            ttft_ms DOUBLE PRECISION,
            tokens_in INTEGER,
            tokens_out INTEGER,
            tokens_per_second DOUBLE PRECISION,
            retry_at DOUBLE PRECISION,
            reporter TEXT,
            recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX fleet_evidence_group_seq ON fleet_evidence (fleet_group, seq)",
        "CREATE INDEX fleet_evidence_recorded_at ON fleet_evidence (recorded_at)",
        """
        CREATE TABLE fleet_hosts (
            fleet_group TEXT NOT NULL,
            host TEXT NOT NULL,
            last_seen TIMESTAMPTZ NOT NULL,
            publish_lag_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
            unhealthy_targets INTEGER NOT NULL DEFAULT 0,
            version TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (fleet_group, host)
        )
        """,
    ])
}
