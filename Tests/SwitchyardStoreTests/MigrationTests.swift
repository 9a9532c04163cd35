import Foundation
import GRDB
@testable import SwitchyardStore
import SwitchyardCore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

@Suite struct MigrationTests {
    @Test func aFreshDatabaseHasEveryMigrationAndIncrementalVacuum() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory + "/switchyard.db")
            let (applied, autoVacuum) = try store.pool.read { db in
                (try SchemaMigrations.migrator.appliedMigrations(db), try Int.fetchOne(db, sql: "PRAGMA auto_vacuum"))
            }
            #expect(applied == SchemaMigrations.migrator.migrations)
            #expect(autoVacuum == 2)
        }
    }

    /// Every earlier schema version, with data in it, migrates to the current one and keeps its rows.
    @Test(arguments: SchemaMigrations.migrator.migrations.dropLast())
    func aDatabaseAtAnEarlierVersionMigratesAndKeepsItsData(version: String) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            let rolledUpBeforeMigration = try writeOldDatabase(at: path, upTo: version) { db in
                let rolledUp = try db.tableExists("rollups_minute")
                for i in 0..<120 {
                    try db.execute(sql: """
                        INSERT INTO observations (target_id, source, started_at, outcome, total_ms, ttft_ms, tokens_out, cost_usd)
                        VALUES (1, 'probe', ?, ?, 100, 40, 16, 0.001)
                        """, arguments: [t0.secondsSinceEpoch + Double(i), i % 10 == 0 ? "timeout" : "ok"])
                }
                try db.execute(sql: "INSERT INTO transitions (target_id, at, from_state, to_state, reason) VALUES (1, ?, 'unknown', 'healthy', 'first success')",
                               arguments: [t0.secondsSinceEpoch])
                if try db.tableExists("live_minutes") {
                    // From v4 on, the tail is not backfilled: the writer kept the probe spend with its rows.
                    try db.execute(sql: "INSERT INTO probe_spend (provider, day, probes, cost_nusd) VALUES ('p', ?, 120, 120000000)",
                                   arguments: [Int64(t0.secondsSinceEpoch) / 86_400])
                }
                return rolledUp
            }
            let store = try SQLiteStore(path: path)
            #expect(try store.observations(of: target).count == 120)
            #expect(try store.transitions().count == 1)
            if !rolledUpBeforeMigration {
                // Rollups came with v2: migrating from before it builds them from the raw rows.
                let minutes = try store.history(HistoryQuery(provider: target.provider, model: target.model, since: t0, until: t0 + 3600, step: .minute))
                #expect(minutes.map(\.count) == [60, 60])
                #expect(minutes.map { $0.failures[.timeout] } == [6, 6])
            }
            #expect(try store.daemonEvents(since: nil, limit: 10).isEmpty)
            // Probe spend of the raw rows: from v2's backfill once, from v4's now.
            let spend = try store.probeSpend(provider: target.provider, day: t0)
            #expect(spend.probes == 120)
            #expect(abs(spend.usd - 0.12) < 1e-9)
            #expect(try store.integrityCheck() == "ok")
            #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") } == 2)
        }
    }

    /// A v3 database as the v3 writer left it: raw rows and their rollup rows (written in the
    /// same transactions, failures as text, histograms as byte pairs). Migrating moves both
    /// into blocks without counting anything twice, and the history reads the same.
    @Test func aV3DatabaseWithRollupsMigratesWithoutCountingTwice() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            try writeOldDatabase(at: path, upTo: "v3-daemon-events") { db in
                for i in 0..<120 {
                    try db.execute(sql: "INSERT INTO observations (target_id, source, started_at, outcome, total_ms) VALUES (1, 'probe', ?, ?, 100)",
                                   arguments: [t0.secondsSinceEpoch + Double(i), i % 10 == 0 ? "timeout" : "ok"])
                }
                // Bucket 27 holds 100 ms: [2^6.5, 2^6.75) ms.
                for (table, start, count) in [("rollups_minute", 0, 60), ("rollups_minute", 60, 60), ("rollups_hour", 0, 120)] {
                    try db.execute(sql: """
                        INSERT INTO \(table) (target_id, bucket_start, source, count, ok, failures, latency, ttft, tokens_in, tokens_out, cost_nusd)
                        VALUES (1, ?, 0, ?, ?, ?, ?, NULL, 0, 0, 0)
                        """, arguments: [Int(t0.secondsSinceEpoch) + start, count, count - count / 10, "timeout=\(count / 10)",
                                         Data([27, UInt8(count - count / 10)])])
                }
            }
            let store = try SQLiteStore(path: path)
            #expect(try store.observationCount() == 120)
            #expect(try store.tailRowCount() == 0)
            let minutes = try store.history(HistoryQuery(provider: target.provider, model: target.model, since: t0, until: t0 + 3600, step: .minute))
            #expect(minutes.map(\.count) == [60, 60])
            #expect(minutes.map { $0.failures[.timeout] } == [6, 6])
            #expect(minutes.map { $0.latency.total } == [54, 54])
            #expect(minutes.first?.latency.quantile(0.5) == LatencyHistogram.representativeMilliseconds(ofBucket: 27))
            let hours = try store.history(HistoryQuery(since: t0, until: t0 + 3600, step: .hour))
            #expect(hours.map(\.count) == [120])
            #expect(try store.pool.read { db in try db.tableExists("rollups_minute") } == false)
            #expect(try store.integrityCheck() == "ok")
        }
    }

    @Test func aDatabaseFromANewerVersionIsRefusedAndLeftAlone() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            _ = try SQLiteStore(path: path)
            // A future version added a migration; written with a plain connection in rollback-journal mode.
            let future = try DatabaseQueue(path: path)
            try future.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
            }
            try future.close()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let error = try #require(throws: StoreError.self) { try SQLiteStore(path: path) }
            #expect(error.description.contains(path))
            #expect(error.description.contains("written by a newer Switchyard"))
            #expect(error.description.contains("v9-from-the-future"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    /// A real database, damaged two ways: cut in half, or a page in the middle overwritten.
    @Test(arguments: ["truncated", "overwritten page"])
    func aDamagedDatabaseIsRefusedAndLeftAlone(damage: String) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            do {
                let store = try SQLiteStore(path: path)
                let batch = (0..<5000).map { i in
                    StoreRecord.observation(Observation(target: target, source: .probe, startedAt: t0 + Double(i), outcome: .ok,
                                                        totalSeconds: 0.1, message: String(repeating: "x", count: 100)))
                }
                try store.write(batch)
                try store.checkpoint()
            }
            var damaged = try Data(contentsOf: URL(fileURLWithPath: path))
            if damage == "truncated" {
                damaged = damaged.prefix(damaged.count / 2)
            } else {
                let page = (damaged.count / 4096) / 2 * 4096
                damaged.replaceSubrange(page..<(page + 4096), with: Data(repeating: 0xA5, count: 4096))
            }
            try damaged.write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: StoreError.self) { try SQLiteStore(path: path) }
            #expect(error.description.contains(path))
            #expect(error.description.contains("move it aside"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == damaged)
        }
    }
}
