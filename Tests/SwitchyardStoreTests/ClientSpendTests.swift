import Foundation
import GRDB
@testable import SwitchyardStore
import SwitchyardCore
import Testing

private let target = Target(provider: ProviderID("p"), model: ModelName("m"))
private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

/// Gateway attempts keep their reporter and each client's spend per UTC day, across a reopen.
@Suite(.timeLimit(.minutes(2))) struct ClientSpendTests {
    static func report(_ reporter: String?, cost: Double, at: Timestamp = t0, charged: Bool) -> Observation {
        var o = Observation(target: target, source: .report, startedAt: at, outcome: .ok, httpStatus: 200, totalSeconds: 0.1, costUSD: cost)
        o.reporter = reporter
        o.chargedToReporter = charged
        return o
    }

    @Test func aGatewayAttemptStoresItsReporterAndCountsTowardsItsClientsDay() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            do {
                let store = try SQLiteStore(path: path)
                try store.write([
                    .observation(Self.report("thrifty", cost: 0.25, charged: true)),
                    .observation(Self.report("thrifty", cost: 0.5, at: t0 + 60, charged: true)),
                    // The client's own report through `POST /v1/reports` is no gateway spend.
                    .observation(Self.report("thrifty", cost: 4, charged: false)),
                    .observation(Self.report("uid:1000", cost: 0.125, charged: true)),
                    // The next UTC day.
                    .observation(Self.report("thrifty", cost: 8, at: t0 + 86_400, charged: true)),
                ])
                try store.write([.observation(Self.report("thrifty", cost: 1, charged: true))])
            }
            let reopened = try SQLiteStore(path: path)
            #expect(try reopened.clientSpend(day: t0) == ["thrifty": 1.75, "uid:1000": 0.125])
            #expect(try reopened.clientSpend(day: t0 + 86_400) == ["thrifty": 8])
            #expect(try reopened.clientSpend(day: t0 + -86_400).isEmpty)
            let reporters = try reopened.pool.read { db in try String?.fetchAll(db, sql: "SELECT reporter FROM observations ORDER BY id") }
            #expect(reporters == ["thrifty", "thrifty", "thrifty", "uid:1000", "thrifty", "thrifty"])
        }
    }

    @Test func aV4DatabaseGainsTheReporterColumnAndAnEmptyClientSpend() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/switchyard.db"
            try writeOldDatabase(at: path, upTo: "v4-blocks") { db in
                try db.execute(sql: "INSERT INTO observations (target_id, source, started_at, outcome, total_ms) VALUES (1, 'report', ?, 'ok', 100)",
                               arguments: [t0.secondsSinceEpoch])
            }
            let store = try SQLiteStore(path: path)
            #expect(try store.observations(of: target).count == 1)
            #expect(try store.clientSpend(day: t0).isEmpty)
            #expect(try store.pool.read { db in try String?.fetchAll(db, sql: "SELECT reporter FROM observations") } == [nil])
            try store.write([.observation(Self.report("app", cost: 0.5, charged: true))])
            #expect(try store.clientSpend(day: t0) == ["app": 0.5])
        }
    }
}
