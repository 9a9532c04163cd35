import Logging
import PostgresNIO
import ServiceLifecycle
import SwitchyardConfig
import SwitchyardCore

/// Fleet-wide drains (`switchyard drain PROVIDER --fleet`): a row per drain or undrain in
/// `fleet_drains`, with the host that took it and its caller. Every host of the group follows
/// the rows: at start it applies the drains in force (the latest row per provider, if it
/// drains), then each new row of another host within about a second. A plain drain stays local.
public final class FleetDrains: Service {
    /// One fleet-wide drain or undrain, as recorded.
    public struct Row: Hashable, Sendable {
        public var seq: Int64
        public var provider: ProviderID
        public var draining: Bool
        public var host: String
        public var caller: String

        /// Who it is recorded as on the hosts that follow it.
        public var followedBy: String { "\(caller) on \(host) (fleet)" }
    }

    private let connector: FleetConnector
    private let group: String
    private let host: String
    private let apply: @Sendable (Row) -> Void
    private let logger: Logger
    /// How often new rows are looked for.
    let pollSeconds: Double

    /// Follows `group`'s drains as `host`, handing each row to `apply`.
    public init(connector: FleetConnector, group: String, host: String, pollSeconds: Double = 1, logger: Logger,
                apply: @escaping @Sendable (Row) -> Void) {
        self.connector = connector
        self.group = group
        self.host = host
        self.pollSeconds = pollSeconds
        self.logger = logger
        self.apply = apply
    }

    /// Records a drain (or undrain) of `provider` for the whole group; throws when PostgreSQL cannot take it.
    public func record(_ provider: ProviderID, draining: Bool, caller: String) async throws {
        let connection = try await connector.connect()
        defer { Task { try? await connection.close() } }
        try await withDeadline(5, on: connection, "recording a fleet drain") { [group, host, logger] in
            try await connection.query("""
                INSERT INTO fleet_drains (fleet_group, provider, drained, host, caller)
                VALUES (\(group), \(provider.rawValue), \(draining), \(host), \(caller))
                """, logger: logger)
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var cursor: Int64?
            var backoff = 1.0
            while !Task.isCancelled {
                do {
                    let connection = try await self.connector.connect()
                    defer { Task { try? await connection.close() } }
                    backoff = 1
                    if cursor == nil { cursor = try await self.applyInForce(connection) }
                    while !Task.isCancelled {
                        cursor = try await self.follow(connection, after: cursor ?? 0)
                        try await Task.sleep(for: .milliseconds(Int64(self.pollSeconds * 1000)))
                    }
                } catch {
                    if Task.isCancelled { return }
                    self.logger.debug("fleet drains: \(self.connector.classify(error))")
                }
                try? await Task.sleep(for: .milliseconds(Int64(backoff * 1000)))
                backoff = min(backoff * 2, 30)
            }
        }
    }

    /// Applies the group's drains in force (latest row per provider, when it drains); returns the newest seq.
    private func applyInForce(_ connection: PostgresConnection) async throws -> Int64 {
        let rows = try await withDeadline(10, on: connection, "reading fleet drains") { [group, logger] in
            try await Self.rows(connection.query("""
                SELECT DISTINCT ON (provider) seq, provider, drained, host, caller FROM fleet_drains
                WHERE fleet_group = \(group) ORDER BY provider, seq DESC
                """, logger: logger))
        }
        for row in rows where row.draining { apply(row) }
        let newest = try await withDeadline(10, on: connection, "reading fleet drains") { [group, logger] in
            var newest: Int64 = 0
            for try await seq in try await connection.query(
                "SELECT COALESCE(MAX(seq), 0)::int8 FROM fleet_drains WHERE fleet_group = \(group)", logger: logger).decode(Int64.self) {
                newest = seq
            }
            return newest
        }
        return newest
    }

    /// Applies other hosts' rows after `cursor`; returns the new cursor.
    private func follow(_ connection: PostgresConnection, after cursor: Int64) async throws -> Int64 {
        let rows = try await withDeadline(10, on: connection, "reading fleet drains") { [group, logger] in
            try await Self.rows(connection.query("""
                SELECT seq, provider, drained, host, caller FROM fleet_drains
                WHERE fleet_group = \(group) AND seq > \(cursor) ORDER BY seq LIMIT 1000
                """, logger: logger))
        }
        for row in rows where row.host != host { apply(row) }
        return rows.last?.seq ?? cursor
    }

    private static func rows(_ sequence: PostgresRowSequence) async throws -> [Row] {
        var rows: [Row] = []
        for try await (seq, provider, drained, host, caller) in sequence.decode((Int64, String, Bool, String, String).self) {
            rows.append(Row(seq: seq, provider: ProviderID(provider), draining: drained, host: host, caller: caller))
        }
        return rows
    }
}
