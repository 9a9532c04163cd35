import Dispatch
import SwitchyardCore
import SwitchyardRoutingLab
import Testing

/// Runs a simulation on a Dispatch thread (CPU-bound; kept off Swift's cooperative pool).
private func simulate(_ simulation: RoutingSimulation) async -> SimulationResult {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: simulation.run()) }
    }
}

/// When both the run with the catalog and the run without it have local evidence for every target.
private func evidenceInBothRuns(_ scenario: Scenario) async throws -> Double {
    let primed = try #require(await simulate(RoutingSimulation(scenario: scenario)).evidenceAt)
    let plain = try #require(await simulate(RoutingSimulation(scenario: scenario, priors: false)).evidenceAt)
    return max(primed, plain)
}

/// The catalog scenario of `make bench-routing`: partly wrong published figures decide only until local evidence exists.
@Suite(.timeLimit(.minutes(5))) struct CatalogScenarioTests {
    @Test(arguments: [RoutingStrategy.balanced, .fastest])
    func priorsDecideOnlyUntilLocalEvidenceExists(strategy: RoutingStrategy) async throws {
        let scenario = ScenarioCatalogue.catalog(strategy)
        let evidence = try await evidenceInBothRuns(scenario)
        let primed = await simulate(RoutingSimulation(scenario: scenario, splitAt: evidence))
        let plain = await simulate(RoutingSimulation(scenario: scenario, priors: false, splitAt: evidence))
        // Probes alone give every target as many samples as the prior weighs within as many probe intervals.
        #expect(evidence <= Double(ScoringPolicy().catalogPriorWeight) * scenario.probeInterval)
        // The catalog's fastest (really the slowest) led the first answers, and lost the top within a second
        // of real traffic; without the catalog it never led.
        let left = try #require(primed.timeToLeaveTop)
        #expect(left > 0 && left < 1)
        #expect(plain.timeToLeaveTop == 0)
        // Once local evidence exists the catalog changes nothing that matters.
        #expect(abs(primed.regretAfterEvidence - plain.regretAfterEvidence) < 0.002,
                "after: \(primed.regretAfterEvidence) with priors, \(plain.regretAfterEvidence) without")
        #expect(primed.regretAfterEvidence < 0.02)
        #expect(primed.failedRequests == 0)
    }

    /// A right catalog ranks well from the first request; without it the first routes follow the configuration order.
    @Test(arguments: [RoutingStrategy.balanced, .fastest])
    func aRightCatalogPaysOffBeforeLocalEvidence(strategy: RoutingStrategy) async throws {
        let scenario = ScenarioCatalogue.catalog(strategy, right: true)
        let evidence = try await evidenceInBothRuns(scenario)
        let primed = await simulate(RoutingSimulation(scenario: scenario, splitAt: evidence))
        let plain = await simulate(RoutingSimulation(scenario: scenario, priors: false, splitAt: evidence))
        #expect(primed.regretBeforeEvidence < plain.regretBeforeEvidence / 2,
                "before: \(primed.regretBeforeEvidence) with priors, \(plain.regretBeforeEvidence) without")
        #expect(abs(primed.regretAfterEvidence - plain.regretAfterEvidence) < 0.002,
                "after: \(primed.regretAfterEvidence) with priors, \(plain.regretAfterEvidence) without")
    }
}
