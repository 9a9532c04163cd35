import SwitchyardConfig
import SwitchyardCore
import Testing

/// `discover:` and `aliases:`: defaults, filters, strict keys with `file:line:column` errors,
/// the expansion of catalogs into targets (configured targets win), and `check-config`'s plan.
struct DiscoveryConfigTests {
    static let router = """
        providers:
          - name: hf
            kind: hf-router
            base_url: https://router.huggingface.co/v1
            api_key_env: HF_TOKEN
            discover: {}
        """

    @Test func aRouterProviderNeedsNoModelsAndTakesEveryDefault() throws {
        let config = try ConfigLoader.parse(yaml: Self.router, file: "d.yaml")
        let provider = try #require(config.providers.first)
        #expect(provider.models.isEmpty)
        #expect(provider.discover == DiscoverySettings())
        #expect(provider.discover?.maxTargets == 1000 && provider.discover?.refreshSeconds == 600 && provider.discover?.maxBytes == 16 << 20)
        #expect(provider.discover?.includeStatus == [.live, .staging, .error])
        let bare = try ConfigLoader.parse(yaml: Self.router.replacingOccurrences(of: "discover: {}", with: "discover:"), file: "d.yaml")
        #expect(bare.providers[0].discover == DiscoverySettings(), "a bare discover: is discover: {}")
    }

    @Test func filtersBoundsAndRefreshAreRead() throws {
        let yaml = Self.router.replacingOccurrences(of: "discover: {}", with: """
            discover:
                  models: ["meta-llama/*", Qwen/Qwen3-32B]
                  providers: { allow: [together, groq, novita], deny: [novita] }
                  include_status: [live]
                  max_targets: 40
                  refresh: 2m
                  max_bytes: 100000
            """)
        let discover = try #require(try ConfigLoader.parse(yaml: yaml, file: "d.yaml").providers[0].discover)
        #expect(discover.models == ["meta-llama/*", "Qwen/Qwen3-32B"])
        #expect(discover.allowProviders == ["together", "groq", "novita"] && discover.denyProviders == ["novita"])
        #expect(discover.includeStatus == [.live] && discover.maxTargets == 40 && discover.refreshSeconds == 120 && discover.maxBytes == 100_000)
        let list = try ConfigLoader.parse(yaml: Self.router.replacingOccurrences(of: "discover: {}", with: "discover: { providers: [together] }"), file: "d.yaml")
        #expect(list.providers[0].discover?.allowProviders == ["together"], "a plain list is the allow list")
    }

    @Test(arguments: [
        ("discover: { model: [x] }", 6, 17, "unknown key 'model' in providers[0].discover (known keys: include_status, max_bytes, max_targets, models, probe_mode, providers, refresh)"),
        ("discover: { include_status: [up] }", 6, 34, "providers[0].discover.include_status[0]: 'up' is not one of live, staging, error"),
        ("discover: { max_targets: 0 }", 6, 30, "providers[0].discover.max_targets must be greater than 0"),
        ("discover: { refresh: 1s }", 6, 26, "providers[0].discover.refresh must be at least 10s"),
        ("discover: { providers: { only: [x] } }", 6, 30, "unknown key 'only' in providers[0].discover.providers (known keys: allow, deny)"),
    ])
    func badDiscoverySettingsArePinnedToTheirPlace(replacement: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: Self.router.replacingOccurrences(of: "discover: {}", with: replacement), file: "d.yaml")
        }
        #expect(error?.description == "d.yaml:\(line):\(column): \(message)")
    }

    @Test func kindsWithoutAModelListCannotDiscoverAndOnlyTheRouterHasPartners() {
        let http = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "providers:\n  - { name: h, kind: http, base_url: \"http://127.0.0.1:9/\", discover: {} }\n", file: "k.yaml")
        }
        #expect(http?.description == "k.yaml:2:61: discover: providers of kind http cannot discover their models (kinds that can: hf-router, ollama, openai, tgi, vllm)")
        let partners = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "providers:\n  - { name: o, kind: ollama, base_url: \"http://127.0.0.1:9\", discover: { providers: [x] } }\n", file: "k.yaml")
        }
        #expect(partners?.description == "k.yaml:2:85: providers[0].discover.providers: only a provider of kind hf-router has partner providers to filter")
        let noModels = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "providers:\n  - { name: o, kind: ollama, base_url: \"http://127.0.0.1:9\" }\n", file: "k.yaml")
        }
        #expect(noModels?.description == "k.yaml:2:5: providers[0] is missing required key 'models'", "without discover:, models stay required")
    }

    @Test func aliasesMapIdsToOneNameAndAnIdMayNotServeTwo() throws {
        let config = try ConfigLoader.parse(yaml: "aliases: { llama-3.1-8b: [\"llama3.1:8b\", meta-llama/Llama-3.1-8B-Instruct], qwen: \"qwen2.5:7b\" }\n" + Self.router, file: "a.yaml")
        #expect(config.aliases == ["llama3.1:8b": ModelName("llama-3.1-8b"), "meta-llama/Llama-3.1-8B-Instruct": ModelName("llama-3.1-8b"),
                                   "qwen2.5:7b": ModelName("qwen")])
        let twice = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "aliases: { a: [x], b: [x] }\n" + Self.router, file: "a.yaml")
        }
        #expect(twice?.description == "a.yaml:1:23: aliases.b: 'x' is already an alias of 'a'")
    }

    private static func catalog(_ entries: [CatalogEntry]) -> DiscoveredCatalog {
        DiscoveredCatalog(entries: entries, fetchedAt: Timestamp(secondsSinceEpoch: 1_800_000_000))
    }

    @Test func aRouterCatalogBecomesOneProviderPerPartnerWithPricesAndCapabilities() throws {
        let config = try ConfigLoader.parse(yaml: Self.router, file: "d.yaml")
        let tools = Capabilities(contextLength: 131_072, tools: true, structuredOutput: false, inputModalities: [.text])
        let expanded = config.withDiscovered([ProviderID("hf"): Self.catalog([
            CatalogEntry(model: "meta-llama/Llama-3.1-8B-Instruct", partner: "together", price: Price(inputPerMTok: 0.18, outputPerMTok: 0.59),
                         capabilities: tools, published: PublishedFigures(firstTokenLatencyMs: 300, tokensPerSecond: 90, status: .live)),
            CatalogEntry(model: "meta-llama/Llama-3.1-8B-Instruct", partner: "groq", price: Price(inputPerMTok: 0.05, outputPerMTok: 0.08)),
            CatalogEntry(model: "Qwen/Qwen3-32B", partner: "together"),
        ])])
        #expect(expanded.providers.map(\.name.rawValue) == ["hf", "together", "groq"])
        #expect(expanded.providers[1].discoveredBy == ProviderID("hf") && expanded.providers[1].apiKey == .environment("HF_TOKEN"))
        #expect(expanded.discoveringProviders.map(\.name.rawValue) == ["hf"], "made providers do not discover themselves")
        let descriptors = expanded.targetDescriptors
        #expect(descriptors.map(\.target.description) == ["together/meta-llama/Llama-3.1-8B-Instruct", "together/Qwen/Qwen3-32B",
                                                          "groq/meta-llama/Llama-3.1-8B-Instruct"])
        #expect(descriptors.map(\.upstreamModel) == ["meta-llama/Llama-3.1-8B-Instruct:together", "Qwen/Qwen3-32B:together",
                                                     "meta-llama/Llama-3.1-8B-Instruct:groq"])
        #expect(descriptors[0].price == Price(inputPerMTok: 0.18, outputPerMTok: 0.59) && descriptors[2].price == Price(inputPerMTok: 0.05, outputPerMTok: 0.08))
        #expect(descriptors[0].capabilities == tools && descriptors[0].origin == .discovered && descriptors[0].published?.status == .live)
        #expect(config.withDiscovered([:]) == config, "no catalog: the file's targets only")
    }

    @Test func configuredTargetsWinAndAliasesMeetLocalAndRouterTargets() throws {
        let yaml = """
            aliases: { llama-3.1-8b: ["llama3.1:8b", meta-llama/Llama-3.1-8B-Instruct] }
            providers:
              - name: together
                kind: hf-router
                base_url: https://router.huggingface.co/v1
                models: [{ name: my-llama, upstream: "meta-llama/Llama-3.1-8B-Instruct:together" }]
              - name: hf
                kind: hf-router
                base_url: https://router.huggingface.co/v1
                discover: {}
              - name: ollama
                kind: ollama
                base_url: http://127.0.0.1:11434
                discover: {}
                models: [{ name: pinned, upstream: "qwen2.5:7b" }]
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "w.yaml")
        let expanded = config.withDiscovered([
            ProviderID("hf"): Self.catalog([CatalogEntry(model: "meta-llama/Llama-3.1-8B-Instruct", partner: "together"),
                                            CatalogEntry(model: "meta-llama/Llama-3.1-8B-Instruct", partner: "groq")]),
            ProviderID("ollama"): Self.catalog([CatalogEntry(model: "llama3.1:8b"), CatalogEntry(model: "qwen2.5:7b"), CatalogEntry(model: "phi4")]),
        ])
        let targets = expanded.targetDescriptors.map { "\($0.target) \($0.origin == .discovered ? "discovered" : "configured")" }
        #expect(targets == [
            "together/my-llama configured",
            "ollama/pinned configured", "ollama/llama-3.1-8b discovered", "ollama/phi4 discovered",
            "groq/llama-3.1-8b discovered",
        ], "the configured together target wins over the same upstream discovered; qwen2.5:7b is configured as 'pinned'")
    }

    @Test func checkConfigShowsThePlanAndReadsBackTheSame() throws {
        let yaml = "aliases: { llama: [\"llama3.1:8b\"] }\n" + Self.router.replacingOccurrences(
            of: "discover: {}", with: "discover: { models: [\"meta-llama/*\"], providers: { deny: [novita] }, include_status: [live], max_targets: 50, refresh: 5m }")
        let config = try ConfigLoader.parse(yaml: yaml, file: "d.yaml")
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains("    discover: { models: [\"meta-llama/*\"], providers: { allow: [], deny: [\"novita\"] }, include_status: [live], max_targets: 50, refresh: 5m, max_bytes: 16777216, probe_mode: liveness }"))
        #expect(rendered.contains("# discovery: GET https://router.huggingface.co/v1/models with this provider's key at start and every 5m; models matching [\"meta-llama/*\"] at every partner but [\"novita\"]: one target per (model, partner provider) as a provider named after the partner (prefixed 'hf.' if that name is taken), upstream MODEL:PARTNER, with the published price and capabilities; at most 50"), "\(rendered)")
        #expect(rendered.contains("aliases:\n  \"llama\": [\"llama3.1:8b\"]"))
        var again = try ConfigLoader.parse(yaml: rendered, file: "d.yaml")
        again.source = config.source
        #expect(again == config, "check-config's output reads back the same")
    }

    @Test func theEmbeddedDefaultDiscoversOllamasModelsWhereOllamaHostSays() throws {
        let plain = try EmbeddedDefault.configuration(environment: [:])
        let ollama = try #require(plain.providers.first)
        #expect(ollama.name.rawValue == "local-ollama" && ollama.baseURL == "http://127.0.0.1:11434" && ollama.discover == DiscoverySettings())
        #expect(plain.aliases["llama3.1:8b"] == ModelName("llama-3.1-8b"))
        for (host, url) in [("127.0.0.1:5555", "http://127.0.0.1:5555"), (":5555", "http://127.0.0.1:5555"), ("http://10.0.0.2:11434/", "http://10.0.0.2:11434"),
                            ("gpu-box", "http://gpu-box:11434"), ("ftp://x", "http://127.0.0.1:11434")] {
            #expect(try EmbeddedDefault.configuration(environment: ["OLLAMA_HOST": host]).providers[0].baseURL == url, "OLLAMA_HOST=\(host)")
        }
    }
}
