import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardDaemon
import SwitchyardProbe
import Testing

/// Discovery follow-ups on the daemon's side: a published figure that moves past the noise is an
/// event; the discovering provider's budget is the one pool its partner providers draw on.
struct DiscoveryFiguresAndBudgetTests {
    private static let yaml = """
        providers:
          - name: hf
            kind: hf-router
            base_url: https://router.huggingface.co/v1
            api_key_env: HF_TOKEN
            budget: { probe_usd_per_day: 0.5 }
            discover: { probe_mode: completion }
        """

    private static func expanded(_ figures: [String: PublishedFigures]) throws -> Configuration {
        let entries = figures.keys.sorted().map { partner in
            CatalogEntry(model: "Qwen/Qwen3-32B", partner: partner, price: Price(inputPerMTok: 0.2, outputPerMTok: 0.6), published: figures[partner])
        }
        return try ConfigLoader.parse(yaml: yaml, file: "b.yaml")
            .withDiscovered([ProviderID("hf"): DiscoveredCatalog(entries: entries, fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_000))])
    }

    /// Small moves are noise and stay silent; a 25 % move past the floor, or a figure appearing, is an event.
    @Test func publishedFiguresThatMovePastTheNoiseAreEvents() throws {
        let before = try Self.expanded([
            "groq": PublishedFigures(firstTokenLatencyMs: 300, tokensPerSecond: 90, status: .live),
            "together": PublishedFigures(firstTokenLatencyMs: 300, tokensPerSecond: 90, status: .live),
            "novita": PublishedFigures(firstTokenLatencyMs: 300, tokensPerSecond: nil, status: .live),
        ])
        let after = try Self.expanded([
            "groq": PublishedFigures(firstTokenLatencyMs: 330, tokensPerSecond: 95, status: .live),  // noise
            "together": PublishedFigures(firstTokenLatencyMs: 650, tokensPerSecond: 40, status: .live),
            "novita": PublishedFigures(firstTokenLatencyMs: 300, tokensPerSecond: 120.5, status: .live),
        ])
        let changes = DiscoveryChanges.between(before, after, provider: ProviderID("hf"))
        #expect(changes.changed == 2)
        #expect(changes.messages == [
            "novita/Qwen/Qwen3-32B changed: throughput none → 120.5 tokens/s",
            "together/Qwen/Qwen3-32B changed: first-token latency 300 → 650 ms, throughput 90 → 40 tokens/s",
        ], "\(changes.messages)")
        #expect(PublishedFigureNoise.firstTokenLatency.change(40, 80) == nil, "under the 50 ms floor")
        #expect(PublishedFigureNoise.throughput.change(100, 124) == nil && PublishedFigureNoise.throughput.change(100, 125) != nil)
    }

    /// Partner providers' targets draw on `hf`'s budget; only `hf` is listed as budgeted (status, metrics).
    @Test func partnerProvidersDrawOnTheDiscoveringProvidersBudget() throws {
        let config = try Self.expanded(["groq": PublishedFigures(), "together": PublishedFigures()])
        let targets = try ProbeTargets.resolve(config, environment: ["HF_TOKEN": "hf_budgettesttoken"])
        #expect(targets.map(\.target.provider.rawValue).sorted() == ["groq", "together"])
        #expect(targets.allSatisfy { $0.budgetProvider == ProviderID("hf") && $0.budgetUSDPerDay == 0.5 && $0.settings.mode == .completion })
        #expect(config.budgetedProviders == [ProviderID("hf")])
        #expect(config.budgetMembers(of: ProviderID("hf")).map(\.rawValue) == ["hf", "groq", "together"])
        var plan = ProbePlan<ContinuousClock.Instant>(targets: targets, seed: 1, now: Timestamp(secondsSinceEpoch: 1_800_000_000))
        _ = plan.start(at: .now)
        #expect(plan.budgets.statuses(at: Timestamp(secondsSinceEpoch: 1_800_000_000)).map(\.provider.rawValue) == ["hf"])
    }
}
