import Dispatch
import SwitchyardCore
import SwitchyardRoutingLab
import Testing

/// Runs a simulation on a Dispatch thread: it is CPU-bound, and running it on Swift's
/// cooperative pool would starve the other suites' async tests.
private func simulate(_ scenario: Scenario, seed: UInt64 = 42) async -> SimulationResult {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: RoutingSimulation(scenario: scenario, seed: seed).run()) }
    }
}

/// The routing issue's acceptance figures, measured on a simulated clock.
@Suite(.timeLimit(.minutes(5))) struct ScenarioTests {
    @Test func outageWithReportsLeavesTheTopWithinOneSecond() async throws {
        let result = await simulate(ScenarioCatalogue.outage(reports: true))
        let leave = try #require(result.timeToLeaveTop)
        #expect(leave < 1)
        #expect(result.failedRequests == 0)
        #expect(result.timeToRecover != nil)
        #expect(result.regret < 0.10)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func outageBoundsHoldForOtherSeeds(seed: UInt64) async throws {
        for reports in [true, false] {
            let scenario = ScenarioCatalogue.outage(reports: reports)
            let leave = try #require(await simulate(scenario, seed: seed).timeToLeaveTop)
            #expect(leave <= (reports ? 1 : 2 * scenario.probeInterval), "reports: \(reports)")
        }
    }

    @Test func outageWithProbesAloneLeavesTheTopWithinTwoIntervals() async throws {
        let scenario = ScenarioCatalogue.outage(reports: false)
        let result = await simulate(scenario)
        let leave = try #require(result.timeToLeaveTop)
        #expect(leave <= 2 * scenario.probeInterval)
        #expect(result.regret < 0.10)
    }

    @Test func nearEqualProvidersChangeTopAtMostOncePerTenMinutes() async {
        let result = await simulate(ScenarioCatalogue.nearEqual)
        #expect(result.topPickChanges <= 1)
        #expect(result.regret < 0.10)
    }

    @Test func priceRiseMovesTheTopPickToTheOtherNearEqualProvider() async throws {
        let result = await simulate(ScenarioCatalogue.priceChange)
        let leave = try #require(result.timeToLeaveTop)
        #expect(leave < 1)
        #expect(result.topPickChanges <= 2)
        #expect(result.regret < 0.10)
    }

    @Test func rateLimitStormIsAvoidedUntilRetryAfter() async throws {
        let result = await simulate(ScenarioCatalogue.rateLimitStorm)
        #expect(try #require(result.timeToLeaveTop) < 1)
        #expect(result.failedRequests == 0)
        #expect(result.regret < 0.10)
    }

    @Test func slowDegradationAndFlappingStayNearTheOracle() async {
        for scenario in [ScenarioCatalogue.slowDegradation, ScenarioCatalogue.flapping] {
            let result = await simulate(scenario)
            #expect(result.regret < 0.10, "\(scenario.name): regret \(result.regret)")
            #expect(result.timeToLeaveTop != nil, "\(scenario.name)")
            #expect(result.failedRequests == 0, "\(scenario.name)")
        }
    }

    @Test func allDownHoldsPanicModeWithCandidates() async {
        let result = await simulate(ScenarioCatalogue.allDown)
        #expect(result.panicRoutes > 0)
        #expect(result.panicAlwaysListed)
        #expect(result.timeToRecover != nil)
    }

    @Test func simulationIsDeterministicForASeed() async {
        let a = await simulate(ScenarioCatalogue.rateLimitStorm, seed: 9)
        let b = await simulate(ScenarioCatalogue.rateLimitStorm, seed: 9)
        #expect(a == b)
    }
}
