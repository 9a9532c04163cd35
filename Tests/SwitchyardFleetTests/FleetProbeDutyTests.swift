import Foundation
import Logging
import SwitchyardCore
@testable import SwitchyardFleet
import SwitchyardTestSupport
import Testing

/// Probe duty and the fleet's probe budget against a real PostgreSQL (the test harness's
/// private cluster): hosts racing for one slot, the budget shared by the group, and a host
/// that cannot reach the database probing alone with its share.
@Suite(.timeLimit(.minutes(3))) struct FleetProbeDutyTests {
    private let logger = Logger(label: "fleet-duty-test")
    private let target = Target(provider: ProviderID("paid"), model: ModelName("m"))

    private func claim(slot: Int64, estimate: Double = 0.01, limit: Double? = nil) -> ProbeDutyClaim {
        ProbeDutyClaim(target: target, budgetProvider: ProviderID("paid"), slot: slot, day: 20_000, estimateUSD: estimate, limitUSD: limit)
    }

    /// A migrated database and one duty per host name, all of group `g`.
    private func withHosts<T>(_ names: [String], in cluster: PostgresCluster, group: String = "g",
                              _ body: ([FleetProbeDuty]) async throws -> T) async throws -> T {
        let connector = FleetConnector(url: try PostgresURL(parsing: cluster.url), logger: logger)
        let connection = try await connector.connect()
        try await FleetSchema.migrate(connection, logger: logger)
        try await connection.close()
        let duties = names.map { FleetProbeDuty(connector: connector, options: .init(group: group, host: $0), logger: logger) }
        do {
            let value = try await body(duties)
            for duty in duties { await duty.close() }
            return value
        } catch {
            for duty in duties { await duty.close() }
            throw error
        }
    }

    @Test func threeHostsRacingForEachSlotLeaveExactlyOneWinnerPerSlot() async throws {
        try await withPostgresCluster { cluster in
            try await withHosts(["web-01", "web-02", "web-03"], in: cluster) { hosts in
                var winners: [Int64: [Int]] = [:]
                for slot in Int64(1)...20 {
                    let answers = await withTaskGroup(of: (Int, ProbeDutyAnswer).self) { group in
                        for (index, host) in hosts.enumerated() { group.addTask { (index, await host.claim(claim(slot: slot))) } }
                        return await group.reduce(into: [(Int, ProbeDutyAnswer)]()) { $0.append($1) }
                    }
                    winners[slot] = answers.filter { $0.1 == .won }.map(\.0)
                    let others = answers.filter { $0.1 != .won }.map(\.1)
                    #expect(others.count == 2)
                    for answer in others {
                        guard case .taken(by: let holder) = answer else { Issue.record("slot \(slot): \(answer)"); continue }
                        #expect(holder == winners[slot]?.first.map { ["web-01", "web-02", "web-03"][$0] })
                    }
                }
                #expect(winners.values.allSatisfy { $0.count == 1 })
                // Twenty probes were paid for, once each, in the group's spend.
                let spent = try await hosts[0].spentUSD(provider: ProviderID("paid"), day: 20_000)
                #expect(abs(spent - 0.20) < 1e-9)
            }
        }
    }

    @Test func aClaimCancelledMidStatementIsNotTheFleetBeingUnreachable() async throws {
        try await withPostgresCluster { cluster in
            try await withHosts(["web-01"], in: cluster) { hosts in
                let host = hosts[0]
                #expect(await host.claim(claim(slot: 1)) == .won)
                // Another transaction holds slot 2's lease, uncommitted: the claim's insert waits on it.
                let blocker = try await FleetConnector(url: try PostgresURL(parsing: cluster.url), logger: logger).connect()
                try await blocker.query("BEGIN", logger: logger)
                try await blocker.query("""
                    INSERT INTO fleet_probe_leases (fleet_group, provider, model, slot, host) VALUES ('g', 'paid', 'm', 2, 'web-09')
                    """, logger: logger)
                let second = claim(slot: 2)
                let waiting = Task { await host.claim(second) }
                let blocked = try await eventually(within: 5) {
                    try await offPool { try cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") } == "1"
                }
                #expect(blocked)
                waiting.cancel()  // the daemon stopping while a paid probe waits for its claim
                _ = await waiting.value
                #expect(await host.alone == false, "a cancelled claim does not say the fleet is unreachable")
                try await blocker.query("ROLLBACK", logger: logger)
                try await blocker.close()
                #expect(await host.claim(claim(slot: 3)) == .won, "the next claim connects again at once")
            }
        }
    }

    @Test func theDaysBudgetIsTheFleetsAndASettledCostReplacesTheEstimate() async throws {
        try await withPostgresCluster { cluster in
            try await withHosts(["a", "b"], in: cluster) { hosts in
                // 0.03 a day: three probes estimated at 0.01, wherever they run.
                #expect(await hosts[0].claim(claim(slot: 1, limit: 0.03)) == .won)
                #expect(await hosts[1].claim(claim(slot: 2, limit: 0.03)) == .won)
                #expect(await hosts[0].claim(claim(slot: 3, limit: 0.03)) == .won)
                #expect(await hosts[1].claim(claim(slot: 4, limit: 0.03)) == .budgetSpent)
                // The third probe cost nothing after all: its estimate is given back, so one more fits.
                await hosts[0].settle(claim(slot: 3, limit: 0.03), costUSD: nil)
                #expect(await hosts[1].claim(claim(slot: 5, limit: 0.03)) == .won)
                #expect(await hosts[0].claim(claim(slot: 6, limit: 0.03)) == .budgetSpent)
                let spent = try await hosts[0].spentUSD(provider: ProviderID("paid"), day: 20_000)
                #expect(abs(spent - 0.03) < 1e-9)
                // Another group has its own budget.
                try await withHosts(["c"], in: cluster, group: "other") { others in
                    #expect(await others[0].claim(claim(slot: 6, limit: 0.03)) == .won)
                }
            }
        }
    }

    @Test func aHostThatCannotReachTheDatabaseProbesAloneAndRejoins() async throws {
        try await withPostgresCluster { cluster in
            try await withHosts(["a"], in: cluster) { hosts in
                #expect(await hosts[0].claim(claim(slot: 1)) == .won)
                #expect(await hosts[0].alone == false)
                try await offPool { try cluster.stop() }
                let started = ContinuousClock.now
                #expect(await hosts[0].claim(claim(slot: 2)) == .unreachable(hostsSeen: 1))
                // While reconnecting backs off, the answer comes at once.
                #expect(await hosts[0].claim(claim(slot: 3)) == .unreachable(hostsSeen: 1))
                #expect(ContinuousClock.now - started < .seconds(3))
                #expect(await hosts[0].alone)
                try await offPool { try cluster.start() }
                let back = try await eventually(within: 30) { await hosts[0].claim(claim(slot: 4)) == .won }
                #expect(back)
                #expect(await hosts[0].alone == false)
            }
        }
    }
}
