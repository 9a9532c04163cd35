extension FleetMigration {
    /// Version 2: probe duty (one lease per target and interval slot), the fleet's probe
    /// spend per budget and UTC day, and fleet-wide drains (`switchyard drain PROVIDER --fleet`).
    static let probeDutyBudgetAndDrains = FleetMigration(version: 2, name: "probe duty, budget and drains", statements: [
        """
        CREATE TABLE fleet_probe_leases (
            fleet_group TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            slot BIGINT NOT NULL,
            host TEXT NOT NULL,
            taken_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (fleet_group, provider, model, slot)
        )
        """,
        "CREATE INDEX fleet_probe_leases_taken_at ON fleet_probe_leases (taken_at)",
        """
        CREATE TABLE fleet_probe_spend (
            fleet_group TEXT NOT NULL,
            provider TEXT NOT NULL,
            day BIGINT NOT NULL,
            spent_usd DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (fleet_group, provider, day)
        )
        """,
        """
        CREATE TABLE fleet_drains (
            seq BIGSERIAL PRIMARY KEY,
            fleet_group TEXT NOT NULL,
            provider TEXT NOT NULL,
            drained BOOLEAN NOT NULL,
            host TEXT NOT NULL,
            caller TEXT NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX fleet_drains_group_seq ON fleet_drains (fleet_group, seq)",
    ])
}
