import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator
import Testing

/// Reading catalogs and model lists through the libcurl engine from the simulator on 127.0.0.1:
/// the router's shape, the Hub's mapping shape, local lists, and every kind of bad answer.
@Suite(.serialized, .timeLimit(.minutes(5))) struct CatalogFetcherTests {
    private func provider(_ kind: ProviderKind, port: Int, maxBytes: Int? = nil) -> ProviderSettings {
        var settings = ProbeSettings()
        settings.timeoutSeconds = 5
        settings.connectTimeoutSeconds = 1
        let base = kind == .ollama ? "http://127.0.0.1:\(port)" : "http://127.0.0.1:\(port)/v1"
        var provider = ProviderSettings(name: ProviderID("p"), kind: kind, baseURL: base, probe: settings, models: [])
        var discover = DiscoverySettings()
        if let maxBytes { discover.maxBytes = maxBytes }
        provider.discover = discover
        return provider
    }

    private func withSimulator<T: Sendable>(_ behavior: SimulatorBehavior = SimulatorBehavior(models: [], latencyMs: 0),
                                            _ body: @escaping @Sendable (ProviderSimulator, Int, CurlEngine) async throws -> T) async throws -> T {
        let simulator = ProviderSimulator(name: "sim", behavior: behavior)
        return try await SimulatorFleet([simulator]).withRunning { ports in
            let engine = CurlEngine()
            engine.start()
            defer { engine.shutdown() }
            return try await body(simulator, ports["sim"]!, engine)
        }
    }

    @Test func theRoutersCatalogYieldsEveryModelAtEveryPartnerWithPricesCapabilitiesAndFigures() async throws {
        try await withSimulator { simulator, port, engine in
            simulator.setCatalog(.generated(models: 50, providers: 6))
            let read = await CatalogFetcher(transport: engine).fetch(provider(.hfRouter, port: port), key: Secret("hf_catalogkey0123456789"))
            let entries = try read.get()
            #expect(entries.count == 300)
            #expect(Set(entries.map(\.upstream)).count == 300)
            #expect(Set(entries.compactMap(\.partner)) == ["cerebras", "fireworks-ai", "groq", "novita", "nebius", "together"])
            let first = try #require(entries.first)
            #expect(first.model == "sim-org-0/Model-0000-Instruct" && first.partner == "cerebras")
            #expect(first.price == Price(inputPerMTok: 0.1, outputPerMTok: 0.2))
            #expect(first.capabilities == Capabilities(contextLength: 8192, tools: false, structuredOutput: true,
                                                       inputModalities: [.text, .image], outputModalities: [.text]))
            #expect(first.published == PublishedFigures(firstTokenLatencyMs: 200, tokensPerSecond: 20, status: .live))
            #expect(entries.allSatisfy { $0.price != nil && $0.capabilities.contextLength != nil && $0.capabilities.tools != nil })
            let request = try #require(simulator.recordedListReads.last)
            #expect(request.path == "/v1/models" && request.header("Authorization") == "Bearer hf_catalogkey0123456789")
        }
    }

    @Test func theSimulatorSpeaksTheRoutersAndTheHubsShapes() async throws {
        try await withSimulator { simulator, port, engine in
            simulator.setCatalog(SimulatorCatalog(models: [.init(id: "org/m", offers: [
                .init(provider: "together", status: "live", contextLength: 1000, inputPrice: 1, outputPrice: 2, supportsTools: true,
                      supportsStructuredOutput: false, firstTokenLatencyMs: 500, throughput: 40),
                .init(provider: "novita", status: "error"),
            ])]))
            let router = await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/models", connectTimeoutSeconds: 1, timeoutSeconds: 5))
            let list = try #require(try JSONSerialization.jsonObject(with: Data(router.body)) as? [String: Any])
            #expect(list["object"] as? String == "list")
            let model = try #require((list["data"] as? [[String: Any]])?.first)
            #expect(model["id"] as? String == "org/m" && model["object"] as? String == "model" && model["owned_by"] as? String == "org")
            #expect((model["architecture"] as? [String: [String]])?["input_modalities"] == ["text"])
            let offers = try #require(model["providers"] as? [[String: Any]])
            #expect(Set(offers[0].keys) == ["provider", "status", "context_length", "pricing", "supports_tools", "supports_structured_output",
                                            "first_token_latency_ms", "throughput", "is_model_author"])
            #expect(offers[0]["pricing"] as? [String: Double] == ["input": 1, "output": 2])
            #expect(Set(offers[1].keys) == ["provider", "status", "is_model_author"], "unpublished fields are absent, as on the router")

            let hub = await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/api/models/org/m?expand[]=inferenceProviderMapping",
                                                       connectTimeoutSeconds: 1, timeoutSeconds: 5))
            let info = try #require(try JSONSerialization.jsonObject(with: Data(hub.body)) as? [String: Any])
            #expect(info["id"] as? String == "org/m" && (info["_id"] as? String)?.count == 24)
            let mapping = try #require(info["inferenceProviderMapping"] as? [String: [String: Any]])
            #expect(mapping["together"]?["status"] as? String == "live" && mapping["novita"]?["status"] as? String == "staging")
            #expect(mapping["together"]?["providerId"] as? String == "org/m" && mapping["together"]?["task"] as? String == "conversational")
            let missing = await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/api/models/org/none", connectTimeoutSeconds: 1, timeoutSeconds: 5))
            #expect(missing.status == 404)
        }
    }

    @Test func localServersListTheirModels() async throws {
        try await withSimulator(SimulatorBehavior(models: ["llama3.1:8b", "qwen2.5:7b", "phi4"], latencyMs: 0)) { simulator, port, engine in
            let fetcher = CatalogFetcher(transport: engine)
            let ollama = try await fetcher.fetch(provider(.ollama, port: port), key: nil).get()
            #expect(ollama == ["llama3.1:8b", "qwen2.5:7b", "phi4"].map { CatalogEntry(model: $0) })
            for kind in [ProviderKind.openai, .vllm, .tgi] {
                #expect(try await fetcher.fetch(provider(kind, port: port), key: nil).get().map(\.model) == ["llama3.1:8b", "qwen2.5:7b", "phi4"])
            }
            #expect(simulator.recordedListReads.allSatisfy { $0.header("Authorization") == nil }, "no key configured, none sent")
        }
    }

    @Test(arguments: [
        (SimulatorBehavior.Fault.garbage, ErrorClass.badResponse, "is not JSON (or cut short)"),
        (.truncated, .badResponse, "GET http://127.0.0.1"),
        (.oversized, .bodyTooLarge, "larger than discover.max_bytes (65536 bytes)"),
        (.unauthorized, .auth, "HTTP 401"),
        (.serverError, .serverError, "HTTP 500"),
    ])
    func badAnswersAreClearErrorsOfTheProbeClasses(fault: SimulatorBehavior.Fault, errorClass: ErrorClass, says: String) async throws {
        try await withSimulator(SimulatorBehavior(models: [], latencyMs: 0, fault: fault, oversizeBytes: 1 << 20)) { simulator, port, engine in
            simulator.setCatalog(.generated(models: 5, providers: 2))
            let read = await CatalogFetcher(transport: engine).fetch(provider(.hfRouter, port: port, maxBytes: 65536), key: nil)
            guard case .failure(let failure) = read else { Issue.record("a \(fault) answer was taken for a catalog"); return }
            #expect(failure.errorClass == errorClass)
            #expect(failure.message.contains(says), "\(failure.message)")
        }
    }

    @Test func anAnswerOfAnotherShapeIsNamedAndBadEntriesAreSkipped() throws {
        let shape = #expect(throws: CatalogParser.Failure.self) { try CatalogParser.router(Array(#"{"models":[]}"#.utf8)) }
        #expect(shape?.description == "the answer (13 bytes) is JSON of another shape, not Hugging Face router's model list ({\"data\": [{\"id\", \"providers\": […]}]})")
        let mixed = #"{"data":[{"id":"a/b","providers":[{"provider":"ok","status":"live"},{"status":"live"},{"provider":"bad name!"}]},{"nope":1}]}"#
        #expect(try CatalogParser.router(Array(mixed.utf8)).map(\.upstream) == ["a/b:ok"])
    }
}
