import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator
import Testing

/// Discovered router targets take their task from the catalog (the Hub's pipeline tag), read
/// from the simulator through the libcurl engine; tasks Switchyard does not route are skipped
/// and counted; local kinds stay chat unless the provider says `task:`.
@Suite(.timeLimit(.minutes(2))) struct CatalogTaskTests {
    static let catalog = SimulatorCatalog(models: [
        .init(id: "org/chat", offers: [.init(provider: "together")]),
        .init(id: "org/flux", outputModalities: ["image"], offers: [.init(provider: "fal-ai"), .init(provider: "replicate")], task: "text-to-image"),
        .init(id: "org/bge", offers: [.init(provider: "hf-inference")], task: "feature-extraction"),
        .init(id: "org/seg", offers: [.init(provider: "hf-inference")], task: "image-segmentation"),
    ])

    static let yaml = """
        providers:
          - { name: hf, kind: hf-router, base_url: "http://127.0.0.1:PORT/v1", discover: {} }
        """

    @Test func routerTargetsTakeTheCatalogsTaskAndUnroutedOnesAreSkippedWithACount() async throws {
        let simulator = ProviderSimulator(name: "hub", behavior: SimulatorBehavior(models: [], latencyMs: 0))
        simulator.setCatalog(Self.catalog)
        try await withSimulatorAndEngine(simulator) { port, engine in
            let config = try ConfigLoader.parse(yaml: Self.yaml.replacingOccurrences(of: "PORT", with: "\(port)"), file: "t.yaml")
            let provider = config.providers[0]
            let entries = try await CatalogFetcher(transport: engine).fetch(provider, key: nil).get()
            #expect(entries.map(\.hubTask) == [nil, "text-to-image", "text-to-image", "feature-extraction", "image-segmentation"])
            let discover = try #require(provider.discover)
            #expect(discover.unroutedTasks(entries) == 1)
            #expect(discover.select(entries).kept.count == 4)
            let discovered = config.withDiscovered([provider.name: DiscoveredCatalog(entries: entries, fetchedAt: Timestamp(secondsSinceEpoch: 0))])
            let tasks = discovered.targetDescriptors.map { "\($0.target.provider)/\($0.target.model)=\($0.task.rawValue)" }.sorted()
            #expect(tasks == ["fal-ai/org/flux=text-to-image", "hf-inference/org/bge=embeddings", "replicate/org/flux=text-to-image",
                              "together/org/chat=chat"])
            let flux = try #require(discovered.providers.first { $0.name == ProviderID("fal-ai") }?.models.first)
            #expect(flux.probe.mode == .liveness && flux.probe.intervalSeconds == 60 && flux.probe.attemptTimeoutSeconds == 60)
        }
    }

    @Test func localKindsStayChatUnlessTheProviderSaysATask() throws {
        let config = try ConfigLoader.parse(yaml: """
            providers:
              - { name: local, kind: ollama, base_url: "http://127.0.0.1:11434", discover: {} }
              - { name: embed, kind: openai, base_url: "http://127.0.0.1:8080/v1", task: embeddings, discover: {} }
            """, file: "l.yaml")
        let at = Timestamp(secondsSinceEpoch: 0)
        let discovered = config.withDiscovered([
            ProviderID("local"): DiscoveredCatalog(entries: [CatalogEntry(model: "llama3.1:8b")], fetchedAt: at),
            ProviderID("embed"): DiscoveredCatalog(entries: [CatalogEntry(model: "bge-m3")], fetchedAt: at),
        ])
        #expect(discovered.targetDescriptors.map(\.task) == [.chat, .embeddings])
        #expect(discovered.providers[1].models[0].probe.attemptTimeoutSeconds == 10)
    }

    @Test func aHostileTaskTagIsAnUnroutedOne() throws {
        let body = Array(#"{"data":[{"id":"org/x","providers":[{"provider":"p","task":"\#(String(repeating: "x", count: 100))"}]}]}"#.utf8)
        let entries = try CatalogParser.router(body)
        #expect(entries.first?.hubTask == "unsupported")
        #expect(entries.first?.task(or: .chat) == nil)
    }
}
