import Dispatch
import SwitchyardCore
import SwitchyardRoutingLab
import Testing

private func simulate(_ scenario: Scenario) async -> SimulationResult {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: RoutingSimulation(scenario: scenario).run()) }
    }
}

/// A text-to-image route on the lab's simulated clock: ranked on seconds per successful image,
/// priced per image; `balanced` and `cheapest` part ways between a cheap slow provider and a
/// dear fast one, and a fast provider that fails often loses to a reliable one.
@Suite(.timeLimit(.minutes(3))) struct TaskScenarioTests {
    @Test func balancedPicksTheFastReliableProviderAndSpeaksInSecondsPerImage() async throws {
        let result = await simulate(ScenarioCatalogue.textToImage(.balanced))
        let route = try #require(result.lastRoute)
        #expect(route.task == .textToImage)
        let top = try #require(route.candidates.first)
        #expect(top.provider.rawValue == "dear", "4 s reliable beats 3 s failing 40 % (5 s expected) and 40 s: \(route.candidates.map(\.provider))")
        #expect(top.pricePerRequest == 0.02)
        #expect(top.reasons.contains { $0.hasPrefix("p50 4") && $0.contains(" s per image over ") }, "\(top.reasons)")
        #expect(top.reasons.contains("$0.02 per image"), "\(top.reasons)")
        #expect(result.regret < 0.10)
    }

    @Test func cheapestPicksTheCheapSlowProviderAndSpendsLess() async throws {
        let balanced = await simulate(ScenarioCatalogue.textToImage(.balanced))
        let cheapest = await simulate(ScenarioCatalogue.textToImage(.cheapest))
        let route = try #require(cheapest.lastRoute)
        #expect(route.candidates.first?.provider.rawValue == "cheap", "\(route.candidates.map(\.provider))")
        #expect(route.candidates.first?.reasons.contains("$0.002 per image") == true)
        let perImage = { (r: SimulationResult) in r.spentUSD / Double(max(r.answeredRequests, 1)) }
        #expect(perImage(cheapest) < 0.004 && perImage(balanced) > 0.015, "cheapest \(perImage(cheapest)), balanced \(perImage(balanced))")
        #expect(cheapest.meanExpectedSeconds > 5 * balanced.meanExpectedSeconds, "the cheap one is slow: that is the trade")
        #expect(cheapest.failedRequests == 0 && balanced.failedRequests == 0)
    }
}
