import Foundation
import SwitchyardCore
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// What a host shares and how a peer's evidence counts: a reload's new completion target is
/// published like the others, and `remote_weight` scales ratios, not consecutive failures.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FleetSharingRulesTests {
    @Test func aTargetAddedByAReloadIsPublishedToo() async throws {
        let simulator = ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 5))
        try await withPostgresCluster { cluster in
            try await SimulatorFleet([simulator]).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "127.0.0.1:\(ports["paid"]!)"
                    let start = { try FleetHostProcess(name: "h1", directory: directory, simulator: address, interval: "1s", databaseURL: cluster.url) }
                    try await withHosts([start]) { hosts in
                        let host = hosts[0]
                        #expect(try await eventuallyOffPool(within: 60) { try host.readyAndShared() }, "the host did not connect to the fleet")
                        let rows = { @Sendable (provider: String) throws -> Int in
                            Int(try cluster.psql("SELECT count(*) FROM fleet_evidence WHERE provider = '\(provider)' AND kind = 'probe'")) ?? 0
                        }
                        #expect(try await eventuallyOffPool(within: 20) { try rows("paid") > 0 }, "the first target's probes were not published")
                        // The reload adds a second completion target: its probes are published as well.
                        let providers = FleetHostProcess.paidProvider(simulator: address) + "\n" + FleetHostProcess.paidProvider(simulator: address, name: "added")
                        try FleetHostProcess.config(name: "h1", directory: directory, simulator: address, interval: "1s", providers: providers)
                            .write(toFile: host.configPath, atomically: true, encoding: .utf8)
                        let (status, body) = try await offPool { try host.post("/v1/admin/reload") }
                        #expect(status == 200, "\(body)")
                        let published = try await eventuallyOffPool(within: 20) { try rows("added") > 0 }
                        #expect(published, "the target the reload added was never published")
                    }
                }
            }
        }
    }

    /// README "Fleet": `remote_weight` scales what a peer's observation adds to the failure ratio
    /// (and statistics, corroboration); a peer's failure still counts as one whole consecutive
    /// failure, so three in a row eject a target whichever hosts saw them.
    @Test func aPeersFailureCountsAsOneConsecutiveFailureWhileItsRatioIsWeighted() {
        let policy = HealthPolicy()
        let target = Target(provider: ProviderID("a"), model: ModelName("m"))
        var health = TargetHealth(since: Timestamp(secondsSinceEpoch: 1_000))
        var last: Transition?
        for index in 0..<policy.consecutiveFailuresToEject {
            var failure = Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 1_000 + Double(index)),
                                      outcome: .failure(.serverError), totalSeconds: 0.1)
            failure.seenBy = "web-02"
            failure.evidenceWeight = 0.25
            if let transition = health.observe(failure, policy: policy, weight: failure.evidenceWeight) { last = transition }
            #expect(health.consecutiveFailures == index + 1)
        }
        #expect(health.state == .ejected, "\(String(describing: last))")
        let (_, volume) = health.recentOutcomes.failureRatio(at: Timestamp(secondsSinceEpoch: 1_002.1), halfLifeSeconds: policy.failureRatioHalfLifeSeconds)
        #expect(volume == 0, "the ejection resets the ratio's outcomes")
        var fresh = TargetHealth(since: Timestamp(secondsSinceEpoch: 1_000))
        var one = Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 1_000), outcome: .failure(.serverError), totalSeconds: 0.1)
        one.seenBy = "web-02"
        _ = fresh.observe(one, policy: policy, weight: 0.25)
        let weighted = fresh.recentOutcomes.failureRatio(at: Timestamp(secondsSinceEpoch: 1_000.1), halfLifeSeconds: policy.failureRatioHalfLifeSeconds)
        #expect(abs(weighted.1 - 0.25) < 0.01, "a peer's failure adds its weight (0.25) to the ratio's volume, not 1: \(weighted)")
    }
}
