import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator
import Testing

/// Every probe kind against the simulator's matching dialect.
@Suite(.timeLimit(.minutes(5))) struct ProbeKindTests {
    @Test func openAIStreamMeasuresTTFTTokenRateUsageAndCost() async throws {
        let price = Price(inputPerMTok: 1, outputPerMTok: 2)
        let behavior = SimulatorBehavior(models: ["m1"], latencyMs: 10, completionTokens: 10, ttftMs: 150, tokensPerSecond: 50)
        let result = try await probe(behavior) { probeTarget(port: $0, mode: .completion, price: price) }
        #expect(result.outcome == .ok)
        #expect(result.tokensIn == 9)
        #expect(result.tokensOut == 10)
        #expect(result.costUSD == price.cost(tokensIn: 9, tokensOut: 10, seconds: result.timings.total))
        let ttft = try #require(result.ttftSeconds)
        #expect(ttft >= 0.15 && ttft < 0.6, "ttft \(ttft)")
        let rate = try #require(result.tokensPerSecond)
        #expect(rate > 25 && rate < 60, "tokens/s \(rate)")
        // Nine more tokens at 50/s after the first: the total is at least TTFT + 0.18 s.
        #expect(result.timings.total >= ttft + 0.17)
        #expect(result.servedBy == "sim")
    }

    @Test func maxTokensFromTheConfigIsSent() async throws {
        let result = try await probe(SimulatorBehavior(models: ["m1"], latencyMs: 0, completionTokens: 64)) {
            probeTarget(port: $0, mode: .completion) { $0.maxTokens = 5 }
        }
        #expect(result.outcome == .ok)
        #expect(result.tokensOut == 5)
    }

    @Test func reasoningDeltasCountAsFirstToken() async throws {
        // Reasoning starts at 100 ms; content would come only after the reasoning tokens.
        let behavior = SimulatorBehavior(models: ["m1"], latencyMs: 0, completionTokens: 2, ttftMs: 100, tokensPerSecond: 10, reasoningTokens: 4)
        let result = try await probe(behavior) { probeTarget(port: $0, mode: .completion) }
        #expect(result.outcome == .ok)
        let ttft = try #require(result.ttftSeconds)
        #expect(ttft >= 0.1 && ttft < 0.35, "ttft \(ttft) should be the first reasoning delta, not the content at ~0.5 s")
        #expect(result.tokensOut == 6)
    }

    @Test func hfRouterRecordsTheProviderThatServed() async throws {
        let result = try await probe(SimulatorBehavior(models: ["meta-llama/Llama-3.1-8B-Instruct"], latencyMs: 0)) {
            probeTarget(port: $0, kind: .hfRouter, model: "meta-llama/Llama-3.1-8B-Instruct:together", mode: .completion)
        }
        #expect(result.outcome == .ok)
        #expect(result.servedBy == "together")
    }

    @Test func hfRouterLivenessFindsTheModelWithoutItsProviderSuffix() async throws {
        let listed = try await probe(SimulatorBehavior(models: ["meta-llama/Llama-3.1-8B-Instruct"], latencyMs: 0)) {
            probeTarget(port: $0, kind: .hfRouter, model: "meta-llama/Llama-3.1-8B-Instruct:together")
        }
        #expect(listed.outcome == .ok)
        let missing = try await probe(SimulatorBehavior(models: ["other/model"], latencyMs: 0)) {
            probeTarget(port: $0, kind: .hfRouter, model: "meta-llama/Llama-3.1-8B-Instruct:together")
        }
        #expect(missing.outcome == .failure(.modelNotFound))
    }

    @Test func ollamaChatStreamsNDJSONAndReadsEvalCounts() async throws {
        let behavior = SimulatorBehavior(models: ["llama3.1:8b"], latencyMs: 0, completionTokens: 8, ttftMs: 50, tokensPerSecond: 40)
        let result = try await probe(behavior) { probeTarget(port: $0, kind: .ollama, model: "llama3.1:8b", mode: .completion) }
        #expect(result.outcome == .ok)
        #expect(result.tokensIn == 9)
        #expect(result.tokensOut == 8)
        let rate = try #require(result.tokensPerSecond)
        #expect(abs(rate - 40) < 0.01, "eval_count / eval_duration, got \(rate)")
        #expect((result.ttftSeconds ?? 0) >= 0.05)
    }

    @Test func ollamaLivenessListsTags() async throws {
        let ok = try await probe(SimulatorBehavior(models: ["llama3.1:8b"], latencyMs: 0)) { probeTarget(port: $0, kind: .ollama, model: "llama3.1:8b") }
        #expect(ok.outcome == .ok)
        let missing = try await probe(SimulatorBehavior(models: ["llama3.1:8b"], latencyMs: 0)) { probeTarget(port: $0, kind: .ollama, model: "qwen") }
        #expect(missing.outcome == .failure(.modelNotFound))
    }

    @Test(arguments: [ProviderKind.tgi, .vllm])
    func selfHostedHealthAndCompletion(kind: ProviderKind) async throws {
        let live = try await probe(SimulatorBehavior(models: ["m1"], latencyMs: 0)) { probeTarget(port: $0, kind: kind) }
        #expect(live.outcome == .ok)
        let completion = try await probe(SimulatorBehavior(models: ["m1"], latencyMs: 0)) { probeTarget(port: $0, kind: kind, mode: .completion) }
        #expect(completion.outcome == .ok)
        #expect(completion.ttftSeconds != nil)
    }

    @Test func vllmLivenessAlsoChecksTheModelList() async throws {
        let result = try await probe(SimulatorBehavior(models: ["other"], latencyMs: 0)) { probeTarget(port: $0, kind: .vllm) }
        #expect(result.outcome == .failure(.modelNotFound))
        let tgi = try await probe(SimulatorBehavior(models: ["other"], latencyMs: 0)) { probeTarget(port: $0, kind: .tgi) }
        #expect(tgi.outcome == .ok)
    }

    @Test func httpKindChecksTheExpectedStatus() async throws {
        let ok = try await probe(SimulatorBehavior(models: [], latencyMs: 0)) { port in
            var target = probeTarget(port: port, kind: .http)
            target.baseURL += "/health"
            return target
        }
        #expect(ok.outcome == .ok)
        let unexpected = try await probe(SimulatorBehavior(models: [], latencyMs: 0)) { port in
            var target = probeTarget(port: port, kind: .http) { $0.expectedStatus = [204] }
            target.baseURL += "/health"
            return target
        }
        #expect(unexpected.outcome == .failure(.badResponse))
        #expect(unexpected.message == "HTTP 200, expected 204")
    }
}


/// The simulator's behaviour switches at run time over its control route.
@Suite(.timeLimit(.minutes(5))) struct SimulatorControlTests {
    @Test func behaviourSwitchesOverHTTPWithPartialJSON() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 0))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let target = probeTarget(port: port, mode: .completion)
            #expect(await ProberTable.prober(for: .openai).probe(target, using: engine, now: SystemWallClock().now()).outcome == .ok)
            let put = HTTPRequest(url: "http://127.0.0.1:\(port)/_sim/behavior", method: .put,
                                  body: Array(#"{"models": ["m1"], "fault": "rate_limited", "retry_after_seconds": 9, "tail_probability": 1, "tail_ms": 50}"#.utf8),
                                  connectTimeoutSeconds: 1, timeoutSeconds: 2)
            #expect(await engine.perform(put).status == 200)
            #expect(simulator.currentBehavior.tailMs == 50)
            #expect(simulator.currentBehavior.latencyMs == 20, "unset keys take their defaults")
            let limited = await ProberTable.prober(for: .openai).probe(target, using: engine, now: SystemWallClock().now())
            #expect(limited.outcome == .failure(.rateLimited))
            #expect(limited.retryAfterSeconds == 9)
            #expect(limited.timings.total >= 0.07, "latency 20 ms + tail 50 ms")
        }
    }

    @Test func aGeneratedCatalogOfNegativeOrOverflowingSizeIsABadRequest() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 0))
        try await withSimulatorAndEngine(simulator) { port, engine in
            for query in ["models=-1&providers=2", "models=2&providers=-1", "models=\(Int.max)&providers=2", "models=100000&providers=1000"] {
                let put = HTTPRequest(url: "http://127.0.0.1:\(port)/_sim/catalog?\(query)", method: .put, connectTimeoutSeconds: 1, timeoutSeconds: 5)
                let answer = await engine.perform(put)
                #expect(answer.status == 400, "\(query)")
                #expect(String(decoding: answer.body, as: UTF8.self).contains("\"error\""), "\(query)")
            }
            #expect(simulator.currentCatalog == nil)
            let good = HTTPRequest(url: "http://127.0.0.1:\(port)/_sim/catalog?models=2&providers=3", method: .put, connectTimeoutSeconds: 1, timeoutSeconds: 5)
            #expect(await engine.perform(good).status == 200)
            #expect(simulator.currentCatalog?.models.count == 2)
        }
    }

    @Test func statsCountTrafficAndServerErrorsApartFromProbes() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 0))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let chat = HTTPRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions", method: .post,
                                   body: Array(#"{"model": "m1", "messages": [{"role": "user", "content": "hi"}]}"#.utf8),
                                   connectTimeoutSeconds: 1, timeoutSeconds: 2)
            #expect(await engine.perform(chat).status == 200)
            #expect(await ProberTable.prober(for: .openai).probe(probeTarget(port: port), using: engine, now: SystemWallClock().now()).outcome == .ok)
            simulator.setBehavior(SimulatorBehavior(models: ["m1"], latencyMs: 0, fault: .serverError))
            #expect(await engine.perform(chat).status == 500)
            #expect(await engine.perform(chat).status == 500)
            let stats = await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/_sim/stats", connectTimeoutSeconds: 1, timeoutSeconds: 2))
            #expect(stats.status == 200)
            let counts = try #require(try JSONSerialization.jsonObject(with: Data(stats.body)) as? [String: Any])
            #expect(counts.compactMapValues { $0 as? Int } == ["requests": 4, "completion_requests": 3, "server_errors": 2, "abandoned": 0],
                    "the liveness probe is a request, not traffic")
        }
    }

    @Test func statsCountTheCompletionRequestsThatArrivedAfterAModelsFirstInjectedFailure() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1", "m2"], latencyMs: 0))
        try await withSimulatorAndEngine(simulator) { port, engine in
            func chat(_ model: String) -> HTTPRequest {
                HTTPRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions", method: .post,
                            body: Array(#"{"model": "\#(model)", "messages": [{"role": "user", "content": "hi"}]}"#.utf8),
                            connectTimeoutSeconds: 1, timeoutSeconds: 2)
            }
            func afterFirstFailure() async -> [String: Int]? {
                let stats = await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/_sim/stats", connectTimeoutSeconds: 1, timeoutSeconds: 2))
                let object = (try? JSONSerialization.jsonObject(with: Data(stats.body))) as? [String: Any]
                return object?["completion_requests_after_first_failure"] as? [String: Int]
            }
            #expect(await engine.perform(chat("m1")).status == 200)
            #expect(await afterFirstFailure() == [:], "no failure yet: nothing counted")
            simulator.setBehavior(SimulatorBehavior(models: ["m1", "m2"], latencyMs: 0, fault: .serverError))
            #expect(await engine.perform(chat("m1")).status == 500)  // the first failure: not counted itself
            #expect(await afterFirstFailure() == ["m1": 0])
            for _ in 0..<3 { #expect(await engine.perform(chat("m1")).status == 500) }
            #expect(await engine.perform(chat("m2")).status == 500)  // m2's own first failure
            #expect(await engine.perform(chat("m2")).status == 500)
            #expect(await afterFirstFailure() == ["m1": 3, "m2": 1])
            #expect(simulator.completionRequestsAfterFirstFailure == ["m1": 3, "m2": 1])
            // Recovery closes the windows: later traffic is not counted, and the figures stay readable.
            simulator.setBehavior(SimulatorBehavior(models: ["m1", "m2"], latencyMs: 0))
            #expect(await engine.perform(chat("m1")).status == 200)
            #expect(await afterFirstFailure() == ["m1": 3, "m2": 1])
            // The next outage starts a new count at its own first failure.
            simulator.setBehavior(SimulatorBehavior(models: ["m1", "m2"], latencyMs: 0, fault: .serverError))
            #expect(await engine.perform(chat("m1")).status == 500)
            #expect(await engine.perform(chat("m1")).status == 500)
            #expect(await afterFirstFailure() == ["m1": 1, "m2": 1])
        }
    }
}
