import Logging
import PostgresNIO
import ServiceLifecycle
import SwitchyardCore

/// Probe duty and the fleet's probe budget on PostgreSQL. A claim is one statement: it inserts
/// the (group, target, slot) lease unless a peer has it, and only with the lease adds the
/// probe's estimate to the group's spend for the day, unless that would pass the limit. Won
/// probes settle their real cost afterwards. When PostgreSQL cannot be reached (or does not
/// answer within `claimTimeoutSeconds`) the answer is `.unreachable` with the hosts last seen,
/// at once while reconnecting is backing off, so probes never wait on the database.
public actor FleetProbeDuty: ProbeDuty {
    /// Who this host is and how patient it is with the database.
    public struct Options: Sendable {
        public var group: String
        public var host: String
        /// How long a claim may take before this host probes alone.
        public var claimTimeoutSeconds: Double = 2
        /// The first wait before reconnecting; it doubles up to `maxRetrySeconds`.
        public var retrySeconds: Double = 1
        public var maxRetrySeconds: Double = 5
        /// Peers heard from within this many seconds count as hosts sharing the budget.
        public var hostsWindowSeconds: Double = 120
        /// Leases older than this are pruned (`fleet.retention`).
        public var retentionSeconds: Double = 3600

        public init(group: String, host: String) {
            self.group = group
            self.host = host
        }
    }

    private let connector: FleetConnector
    private let options: Options
    private let logger: Logger
    /// Told when this host starts or stops probing alone (event, readiness and metric wiring).
    private let onAlone: @Sendable (Bool, String?) -> Void
    private var connection: PostgresConnection?
    private var connecting: Task<PostgresConnection, any Error>?
    private var retryAt: ContinuousClock.Instant?
    private var retryDelay: Double
    private var hostsSeen = 1
    private var hostsCountedAt: ContinuousClock.Instant?
    private var prunedAt: ContinuousClock.Instant?
    /// Whether the last claim could not reach the fleet.
    public private(set) var alone = false

    public init(connector: FleetConnector, options: Options, logger: Logger,
                onAlone: @escaping @Sendable (Bool, String?) -> Void = { _, _ in }) {
        self.connector = connector
        self.options = options
        self.logger = logger
        self.onAlone = onAlone
        retryDelay = options.retrySeconds
    }

    public func claim(_ claim: ProbeDutyClaim) async -> ProbeDutyAnswer {
        do {
            let connection = try await connected()
            let answer = try await withDeadline(options.claimTimeoutSeconds, on: connection, "a probe duty claim") {
                try await self.take(claim, on: connection)
            }
            await housekeeping(on: connection)
            setAlone(false, nil)
            return answer
        } catch is CancellationError {
            // The probe was cancelled (shutdown, reload), not the fleet unreachable: no backoff; the
            // next claim replaces a connection closed under the statement at once (`connected()`).
            return .unreachable(hostsSeen: hostsSeen)
        } catch {
            failed(error)
            return .unreachable(hostsSeen: hostsSeen)
        }
    }

    public func settle(_ claim: ProbeDutyClaim, costUSD: Double?) async {
        let delta = (costUSD ?? 0) - claim.estimateUSD
        guard delta != 0, let connection = try? await connected() else { return }
        do {
            try await withDeadline(options.claimTimeoutSeconds, on: connection, "settling a probe's cost") {
                try await connection.query("""
                    UPDATE fleet_probe_spend SET spent_usd = GREATEST(spent_usd + \(delta), 0)
                    WHERE fleet_group = \(self.options.group) AND provider = \(claim.budgetProvider.rawValue) AND day = \(claim.day)
                    """, logger: self.logger)
            }
        } catch {
            failed(error)
        }
    }

    /// The group's probe spend for `provider` on UTC day `day` (for status and tests).
    public func spentUSD(provider: ProviderID, day: Int64) async throws -> Double {
        let connection = try await connected()
        let (group, logger) = (options.group, logger)
        return try await withDeadline(options.claimTimeoutSeconds, on: connection, "reading the probe spend") {
            let rows = try await connection.query("""
                SELECT COALESCE(SUM(spent_usd), 0)::float8 FROM fleet_probe_spend
                WHERE fleet_group = \(group) AND provider = \(provider.rawValue) AND day = \(day)
                """, logger: logger)
            for try await spent in rows.decode(Double.self) { return spent }
            return 0
        }
    }

    /// Closes the connection (shutdown).
    public func close() async {
        connecting?.cancel()
        try? await connection?.close()
        connection = nil
    }

    // MARK: - Statements

    private func take(_ claim: ProbeDutyClaim, on connection: PostgresConnection) async throws -> ProbeDutyAnswer {
        let group = options.group, provider = claim.target.provider.rawValue, model = claim.target.model.rawValue
        let budget = claim.budgetProvider.rawValue
        let rows = try await connection.query("""
            WITH lease AS (
                INSERT INTO fleet_probe_leases (fleet_group, provider, model, slot, host)
                VALUES (\(group), \(provider), \(model), \(claim.slot), \(options.host))
                ON CONFLICT DO NOTHING RETURNING host
            ), spend AS (
                INSERT INTO fleet_probe_spend AS s (fleet_group, provider, day, spent_usd)
                SELECT \(group), \(budget), \(claim.day), \(claim.estimateUSD)::float8 FROM lease
                WHERE \(claim.limitUSD)::float8 IS NULL OR \(claim.estimateUSD)::float8 <= \(claim.limitUSD)::float8
                ON CONFLICT (fleet_group, provider, day) DO UPDATE SET spent_usd = s.spent_usd + EXCLUDED.spent_usd
                WHERE \(claim.limitUSD)::float8 IS NULL OR s.spent_usd + EXCLUDED.spent_usd <= \(claim.limitUSD)::float8
                RETURNING s.spent_usd
            )
            SELECT (SELECT count(*) FROM lease)::int8, (SELECT count(*) FROM spend)::int8
            """, logger: logger)
        var outcome = (won: 0, paid: 0)
        for try await (won, paid) in rows.decode((Int, Int).self) { outcome = (won, paid) }
        if outcome.won == 1 { return outcome.paid == 1 ? .won : .budgetSpent }
        let holder = try await connection.query("""
            SELECT host FROM fleet_probe_leases
            WHERE fleet_group = \(group) AND provider = \(provider) AND model = \(model) AND slot = \(claim.slot)
            """, logger: logger)
        for try await host in holder.decode(String.self) { return .taken(by: host) }
        return .taken(by: nil)
    }

    /// Counts the hosts heard from lately (the share of the budget when alone) and prunes old
    /// leases in small deletes, each at most once a minute.
    private func housekeeping(on connection: PostgresConnection) async {
        let now = ContinuousClock.now
        if hostsCountedAt.map({ now - $0 > .seconds(30) }) ?? true {
            hostsCountedAt = now
            if let count = try? await withDeadline(options.claimTimeoutSeconds, on: connection, "counting the fleet's hosts", {
                try await self.hostsHeardFrom(on: connection)
            }) { hostsSeen = max(count, 1) }
        }
        if prunedAt.map({ now - $0 > .seconds(60) }) ?? true {
            prunedAt = now
            let (retention, logger) = (options.retentionSeconds, logger)
            _ = try? await withDeadline(options.claimTimeoutSeconds, on: connection, "pruning probe leases") {
                try await connection.query("""
                    DELETE FROM fleet_probe_leases WHERE ctid IN (
                        SELECT ctid FROM fleet_probe_leases
                        WHERE taken_at < now() - make_interval(secs => \(retention)) LIMIT 1000)
                    """, logger: logger)
            }
        }
    }

    private func hostsHeardFrom(on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query("""
            SELECT count(*)::int8 FROM fleet_hosts
            WHERE fleet_group = \(options.group) AND last_seen > now() - make_interval(secs => \(options.hostsWindowSeconds))
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    // MARK: - Connection

    private func connected() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        if let retryAt, ContinuousClock.now < retryAt { throw FleetError.unreachable("\(connector.url): reconnecting") }
        if let connecting { return try await connecting.value }
        let connector = connector
        let logger = logger
        let task = Task {
            let made = try await connector.connect()
            do {
                // Hosts start together: the schema may not be there yet (FleetService migrates too; the lock makes it once).
                try await withDeadline(10, on: made, "migrating the fleet schema") { try await FleetSchema.migrate(made, logger: logger) }
            } catch {
                try? await made.close()
                throw error
            }
            return made
        }
        connecting = task
        defer { connecting = nil }
        let made = try await task.value
        connection = made
        retryDelay = options.retrySeconds
        retryAt = nil
        return made
    }

    private func failed(_ error: any Error) {
        let reason = connector.classify(error).description
        if let connection { Task { try? await connection.close() } }
        connection = nil
        if retryAt == nil || ContinuousClock.now >= retryAt! {
            retryAt = ContinuousClock.now + .seconds(retryDelay)
            retryDelay = min(retryDelay * 2, options.maxRetrySeconds)
        }
        setAlone(true, reason)
    }

    private func setAlone(_ now: Bool, _ reason: String?) {
        guard now != alone else { return }
        alone = now
        if now {
            logger.warning("fleet unreachable: probing alone within this host's share of each budget",
                           metadata: ["hosts_seen": "\(hostsSeen)", "reason": "\(reason ?? "")"])
        } else {
            logger.notice("fleet reachable again: probe duty shared")
        }
        onAlone(now, reason)
    }
}

extension FleetProbeDuty: Service {
    /// Holds the claim connection until the daemon shuts down, then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
