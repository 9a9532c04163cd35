import Foundation
import Logging
import PostgresNIO
import SwitchyardConfig
import SwitchyardCore
import SwitchyardTestSupport
import Testing
@testable import SwitchyardFleet

/// The fleet's connection and schema against a real PostgreSQL: migrations, a newer schema,
/// a wrong password and a wrong address each a clear error without the password.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FleetDatabaseTests {
    let logger = Logger(label: "fleet-test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func migrationsCreateTheSchemaOnceAndANewerSchemaIsRefused() async throws {
        try await withPostgresCluster { server in
            let connector = FleetConnector(url: try PostgresURL(parsing: server.url), logger: logger)
            let connection = try await connector.connect()
            #expect(try await FleetSchema.migrate(connection, logger: logger) == 0)
            #expect(try await FleetSchema.migrate(connection, logger: logger) == FleetSchema.currentVersion, "a second run changes nothing")
            #expect(try await FleetSchema.version(connection, logger: logger) == 2)  // 1 evidence and hosts, 2 probe duty, budget, drains
            let tables = try await offPool { try server.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 'fleet_%'") }
            #expect(tables == "fleet_drains,fleet_evidence,fleet_hosts,fleet_probe_leases,fleet_probe_spend")
            // A later build migrated this database: this one refuses it rather than write rows it does not understand.
            _ = try await offPool { try server.psql("INSERT INTO switchyard_schema (version, name) VALUES (99, 'from the future')") }
            let error = await #expect(throws: FleetError.self) { try await FleetSchema.migrate(connection, logger: logger) }
            #expect(error == .newerSchema(found: 99, known: FleetSchema.currentVersion))
            #expect(error.map { "\($0)" } == "the fleet database has schema version 99, newer than this build's 2: upgrade this host; it serves alone meanwhile")
            try await connection.close()
        }
    }

    @Test func aWrongPasswordAndAWrongAddressAreClearErrorsWithoutThePassword() async throws {
        try await withPostgresCluster { server in
            let wrong = server.url.replacingOccurrences(of: server.password, with: "Wr0ngPassw0rdValue")
            let refused = await #expect(throws: FleetError.self) {
                try await FleetConnector(url: try PostgresURL(parsing: wrong), logger: logger).connect()
            }
            let refusal = try #require(refused).description
            #expect(refusal.hasPrefix("PostgreSQL refused the login: postgres://switchyard@127.0.0.1:\(server.port)/postgres (sslmode=disable): password authentication failed"))
            #expect(!refusal.contains("Wr0ngPassw0rdValue") && !refusal.contains(server.password))

            let nowhere = "postgres://switchyard:\(server.password)@127.0.0.1:\(unusedLoopbackPort())/postgres"
            let unreachable = await #expect(throws: FleetError.self) {
                try await FleetConnector(url: try PostgresURL(parsing: nowhere), logger: logger).connect()
            }
            let text = try #require(unreachable).description
            #expect(text.hasPrefix("PostgreSQL unreachable: postgres://switchyard@127.0.0.1:"))
            #expect(!text.contains(server.password))

            // The URL asks for TLS and this server has none: the connection is refused, not made in the clear.
            let tls = await #expect(throws: FleetError.self) {
                try await FleetConnector(url: try PostgresURL(parsing: server.url + "?sslmode=require"), logger: logger).connect()
            }
            #expect(tls?.description == "PostgreSQL unreachable: postgres://switchyard@127.0.0.1:\(server.port)/postgres (sslmode=require): the server does not offer TLS")
        }
    }

    @Test func publishedRowsReachAPeerInCommitOrderAndAnUndecodableRowIsSkipped() async throws {
        try await withPostgresCluster { server in
            let connector = FleetConnector(url: try PostgresURL(parsing: server.url), logger: logger)
            let writer = try await connector.connect()
            try await FleetSchema.migrate(writer, logger: logger)
            let reading = try await connector.connect()
            let publisher = FleetPublisher(connection: writer, host: "host-a", group: "g", logger: logger)
            let peer = FleetReader(connection: reading, host: "host-b", group: "g", remoteWeight: 0.5, logger: logger)
            let start = try await peer.newestSeq()
            let outbox = FleetOutbox()
            let target = Target(provider: ProviderID("a"), model: ModelName("m"))
            var report = Observation(target: target, source: .report, startedAt: Timestamp(secondsSinceEpoch: 1_000), outcome: .failure(.serverError),
                                     httpStatus: 500, totalSeconds: 0.25, ttftSeconds: 0.1, tokensIn: 3, tokensOut: nil)
            report.reporter = "uid:1000"
            outbox.record(report)
            outbox.record(Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 1_001), outcome: .ok, totalSeconds: 0.5))
            #expect(try await publisher.flush(outbox) == 2)
            #expect(outbox.counts.waiting == 0 && outbox.counts.published == 2)
            _ = try await offPool { try server.psql("""
                INSERT INTO fleet_evidence (fleet_group, host, provider, model, kind, started_at, outcome, total_ms)
                VALUES ('g', 'host-c', 'a', 'm', 'probe', 1002, 'not-an-outcome', 5), ('other', 'host-c', 'a', 'm', 'probe', 1002, 'ok', 5)
                """) }
            let batch = try await peer.read(after: start)
            #expect(batch.evidence.count == 2)
            #expect(batch.undecodable.count == 1)
            #expect(batch.undecodable.first?.contains("unknown outcome 'not-an-outcome'") == true)
            var expected = report
            expected.seenBy = "host-a"
            expected.evidenceWeight = 0.5
            #expect(batch.evidence.first == expected, "what the peer reads is what was seen, marked with the host and its weight")
            #expect(batch.evidence.last?.outcome == .ok)
            // The writer's own rows move its cursor and are not delivered back to it.
            let own = try await FleetReader(connection: reading, host: "host-a", group: "g", remoteWeight: 1, logger: logger).read(after: start)
            #expect(own.evidence.isEmpty && own.cursor == batch.cursor)
            // Heartbeat and hosts.
            let hosts = try await publisher.heartbeat(lagSeconds: 0.2, unhealthyTargets: 3, version: "t")
            #expect(hosts.map(\.name) == ["host-a"])
            #expect(hosts.first?.isSelf == true && hosts.first?.unhealthyTargets == 3 && hosts.first?.stale == false)
            // Retention deletes old rows in small transactions.
            _ = try await offPool { try server.psql("UPDATE fleet_evidence SET recorded_at = now() - interval '2 hours'") }
            #expect(try await publisher.prune(retentionSeconds: 3600) == 4)
            try await writer.close()
            try await reading.close()
        }
    }
}
