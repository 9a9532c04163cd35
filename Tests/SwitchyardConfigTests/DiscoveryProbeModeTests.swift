import SwitchyardConfig
import SwitchyardCore
import Testing

/// Discovered targets probe in liveness mode unless the discovering provider says otherwise, so a
/// catalog of hundreds of targets does not mean hundreds of paid completion probes per interval.
struct DiscoveryProbeModeTests {
    private static func router(probe: String = "", discover: String = "{}") -> String {
        """
        probe: { mode: completion }
        providers:
          - name: hf
            kind: hf-router
            base_url: https://router.huggingface.co/v1
            api_key_env: HF_TOKEN
            \(probe)
            discover: \(discover)
            models: [{ name: pinned, upstream: "meta-llama/Llama-3.1-8B-Instruct:groq" }]
          - name: ollama
            kind: ollama
            base_url: http://127.0.0.1:11434
            \(probe)
            discover: \(discover)
        """
    }

    private static let catalogs: [ProviderID: DiscoveredCatalog] = [
        ProviderID("hf"): DiscoveredCatalog(entries: [CatalogEntry(model: "Qwen/Qwen3-32B", partner: "together"),
                                                      CatalogEntry(model: "Qwen/Qwen3-32B", partner: "groq")],
                                            fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_000)),
        ProviderID("ollama"): DiscoveredCatalog(entries: [CatalogEntry(model: "phi4")], fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_000)),
    ]

    /// Every discovered target's mode, and the configured one's, after expanding the catalogs.
    private static func modes(_ yaml: String) throws -> [String: ProbeMode] {
        let config = try ConfigLoader.parse(yaml: yaml, file: "m.yaml").withDiscovered(catalogs)
        var modes: [String: ProbeMode] = [:]
        for provider in config.providers {
            for model in provider.models { modes["\(provider.name)/\(model.name)"] = model.probe.mode }
        }
        return modes
    }

    @Test func discoveredTargetsProbeLivenessDespiteACompletionDefault() throws {
        #expect(try Self.modes(Self.router()) == [
            "hf/pinned": .completion, "together/Qwen/Qwen3-32B": .liveness, "groq/Qwen/Qwen3-32B": .liveness, "ollama/phi4": .liveness,
        ], "the global probe.mode is completion; only the configured target keeps it")
        let rendered = ConfigRenderer.render(try ConfigLoader.parse(yaml: Self.router(), file: "m.yaml"))
        #expect(rendered.contains("probe_mode: liveness }"))
        #expect(rendered.contains("discovered targets probe in liveness mode (liveness unless discover.probe_mode or the provider's own probe.mode says otherwise) and share this provider's one probe budget"))
    }

    @Test func theProvidersOwnProbeModeOrTheDiscoverBlockDecides() throws {
        let own = try Self.modes(Self.router(probe: "probe: { mode: completion }"))
        #expect(own["together/Qwen/Qwen3-32B"] == .completion && own["ollama/phi4"] == .completion)
        let block = try Self.modes(Self.router(discover: "{ probe_mode: completion }"))
        #expect(block["groq/Qwen/Qwen3-32B"] == .completion && block["hf/pinned"] == .completion)
        let both = try Self.modes(Self.router(probe: "probe: { mode: completion }", discover: "{ probe_mode: liveness }"))
        #expect(both["groq/Qwen/Qwen3-32B"] == .liveness && both["hf/pinned"] == .completion, "discover.probe_mode wins for discovered targets")
    }

    @Test func aBadProbeModeIsPinnedToItsPlace() {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: Self.router(discover: "{ probe_mode: paid }"), file: "m.yaml")
        }
        #expect(error?.description.hasPrefix("m.yaml:8:") == true && error?.description.hasSuffix("providers[0].discover.probe_mode: 'paid' is not one of completion, liveness") == true,
                "\(error?.description ?? "")")
    }

    @Test func checkConfigReadsBackTheSameMode() throws {
        for yaml in [Self.router(), Self.router(discover: "{ probe_mode: completion }"), Self.router(probe: "probe: { mode: completion }")] {
            let config = try ConfigLoader.parse(yaml: yaml, file: "m.yaml")
            var again = try ConfigLoader.parse(yaml: ConfigRenderer.render(config), file: "m.yaml")
            again.source = config.source
            #expect(again == config)
        }
    }
}

/// A liveness probe of a router target reads the router's whole catalog: it may read as much as
/// discovery does, or a catalog over the probes' 1 MiB cap would eject every discovered target.
struct DiscoveryProbeBodyCapTests {
    @Test func discoveredTargetsMayReadAsMuchAsTheCatalog() throws {
        let config = try ConfigLoader.parse(yaml: """
            providers:
              - { name: hf, kind: hf-router, base_url: "https://router.huggingface.co/v1", api_key_env: HF_TOKEN,
                  discover: { max_bytes: 8388608 } }
            """, file: "cap.yaml").withDiscovered([
                ProviderID("hf"): DiscoveredCatalog(entries: [CatalogEntry(model: "Qwen/Qwen3-32B", partner: "groq")],
                                                    fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_000)),
            ])
        let discovered = try #require(config.providers.first { $0.name == ProviderID("groq") }?.models.first)
        #expect(discovered.probe.maxBodyBytes == 8 << 20)
        #expect(config.providers[0].probe.maxBodyBytes == 1 << 20, "the provider's own probes keep their cap")
    }
}
