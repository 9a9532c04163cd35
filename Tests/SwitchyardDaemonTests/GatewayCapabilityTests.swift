import Foundation
import Testing
import SwitchyardSimulator

/// The gateway routes by what a request needs, derived from its body: a provider known to lack
/// it is never tried (the simulators record every request they get), a request nobody can serve
/// is a 400 naming what is missing, and a 400 that says "no tools" is learned and failed over.
@Suite(.timeLimit(.minutes(5))) struct GatewayCapabilityTests {
    static let tools = #""tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]"#
    /// `a` (1 ms, the leader) has no tool calling and a 32k context; `b` (40 ms) has both.
    static let providers = ["a": "capabilities: { tools: false, context_length: 32768 }, ",
                            "b": "capabilities: { tools: true, context_length: 262144 }, "]

    static func chatsReceived(_ gw: GatewayTestDaemon, _ provider: String) -> [String] {
        gw.simulators[provider]!.recordedRequests.filter { $0.path == "/v1/chat/completions" }.map { String(decoding: $0.body, as: UTF8.self) }
    }

    @Test func withToolsNoCandidateWithoutToolSupportIsEverTriedThroughEveryModelForm() async throws {
        try await GatewayTestDaemon.run(providerExtra: Self.providers) { gw in
            let plain = try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(plain.status == 200 && plain.headers["x-switchyard-provider"] == "a", "without tools the leader serves")
            let forms = [#""model":"m""#, #""model":"m:fastest""#, #""model":"m:cheapest""#, #""model":"m:preferred""#, #""model":"m:latency""#,
                         #""model":"m-up""#, #""model":"m:b""#, #""model":"m","provider":{"order":["a","b"]}"#,
                         #""model":"m","provider":{"sort":"price"}"#]
            for form in forms {
                let answer = try await gw.post("/v1/chat/completions", #"{\#(form),"messages":[{"role":"user","content":"call f"}],\#(Self.tools)}"#)
                #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "b", "\(form): \(answer.payload)")
                #expect(answer.headers["x-switchyard-attempts"] == "1", "\(form): the first attempt went to b")
            }
            let toolChoice = try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[],"tool_choice":"auto","stream":true}"#)
            #expect(toolChoice.status == 200 && toolChoice.headers["x-switchyard-provider"] == "b")
            #expect(Self.chatsReceived(gw, "a").count == 1, "a got only the request without tools")
            #expect(!Self.chatsReceived(gw, "a").contains { $0.contains("tools") || $0.contains("tool_choice") })
            #expect(Self.chatsReceived(gw, "b").count == forms.count + 1)

            // Pinned to the provider without tools: the clear error, and no upstream call.
            let pinned = try await gw.post("/v1/chat/completions", #"{"model":"m:a","messages":[],\#(Self.tools)}"#)
            #expect(pinned.status == 400, "\(pinned.payload)")
            let error = try #require(pinned.json["error"] as? [String: Any])
            #expect(error["code"] as? String == "no_capable_provider" && error["type"] as? String == "invalid_request_error")
            #expect(error["message"] as? String == "no provider of 'm' can serve this request (it needs tools): a: no tool calling")
            #expect(Self.chatsReceived(gw, "a").count == 1)
        }
    }

    @Test func aLongPromptSkipsProvidersWhoseContextIsShorterAndTheRouteSaysWhy() async throws {
        try await GatewayTestDaemon.run(providerExtra: Self.providers) { gw in
            // 800,000 bytes of text: about 200,000 tokens by the gateway's estimate (bytes / 4).
            let prompt = String(repeating: "word ", count: 160_000)
            let answer = try await gw.post("/v1/chat/completions", #"{"model":"m","max_tokens":100,"messages":[{"role":"user","content":"\#(prompt)"}]}"#)
            #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "b", "\(answer.payload.prefix(300))")
            #expect(Self.chatsReceived(gw, "a").isEmpty, "the 32k provider was never tried")

            let route = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m&min_context=200000")
            #expect(route.status == 200)
            #expect((route.json["candidates"] as? [[String: Any]])?.map { $0["provider"] as? String } == ["b"])
            let excluded = try #require(route.json["excluded"] as? [[String: String]])
            #expect(excluded == [["provider": "a", "reason": "context 32768 < 200000 needed"]])
            let plain = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m")
            #expect((plain.json["excluded"] as? [Any])?.isEmpty == true, "no needs: nobody left out")

            let bad = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m&needs=tools,telepathy")
            #expect(bad.status == 400 && bad.body.contains("'telepathy' is not one of tools, structured_output, vision"), "\(bad.body)")
            let badContext = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m&min_context=-5")
            #expect(badContext.status == 400 && badContext.body.contains("min_context"))
        }
    }

    @Test func aRequestNoTargetCanServeGetsTheClearErrorAndNoUpstreamCall() async throws {
        let short = ["a": "capabilities: { context_length: 8192, structured_output: false }, ",
                     "b": "capabilities: { context_length: 16384, input_modalities: [text] }, "]
        try await GatewayTestDaemon.run(providerExtra: short) { gw in
            let body = #"{"model":"m","max_tokens":20000,"response_format":{"type":"json_object"},"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}"#
            let answer = try await gw.post("/v1/chat/completions", body)
            #expect(answer.status == 400)
            let error = try #require(answer.json["error"] as? [String: Any])
            #expect(error["code"] as? String == "no_capable_provider")
            let message = try #require(error["message"] as? String)
            #expect(message.hasPrefix("no provider of 'm' can serve this request (it needs structured_output, vision, a context of 200"), "\(message)")
            #expect(message.contains("a: no structured output; context 8192 < 200") && message.contains("b: no image input; context 16384 < 200"), "\(message)")
            #expect(Self.chatsReceived(gw, "a").isEmpty && Self.chatsReceived(gw, "b").isEmpty)
        }
    }

    @Test func aFourHundredSayingNoToolsIsLearnedFailedOverAndShownWithoutHurtingHealth() async throws {
        try await GatewayTestDaemon.run { gw in
            gw.simulators["a"]!.setBehavior({
                var behavior = SimulatorBehavior(models: ["m-up"], latencyMs: 1)
                behavior.rejectsTools = true
                return behavior
            }())
            let first = try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[],\#(Self.tools)}"#)
            #expect(first.status == 200 && first.headers["x-switchyard-provider"] == "b" && first.headers["x-switchyard-attempts"] == "2", "\(first.payload)")
            let second = try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[],\#(Self.tools)}"#)
            #expect(second.status == 200 && second.headers["x-switchyard-provider"] == "b" && second.headers["x-switchyard-attempts"] == "1")
            #expect(Self.chatsReceived(gw, "a").count == 1, "learned: the second request with tools did not go to a")

            let route = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m&needs=tools")
            #expect((route.json["excluded"] as? [[String: String]])?.first?["reason"] == "no tool calling")
            let plain = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m")
            let candidates = try #require(plain.json["candidates"] as? [[String: Any]])
            #expect(candidates.first?["provider"] as? String == "a" && candidates.first?["state"] as? String == "healthy", "counted against no health")
            #expect((candidates.first?["reasons"] as? [String])?.contains { $0.hasPrefix("learned: no tool calling (a 400 said so) until ") } == true)
            let events = try await eventually(within: 10) {
                try await RawHTTP.exchange(gw.address, "GET", "/v1/events").body.contains(#""kind":"capability_learned""#)
            }
            #expect(events)
            #expect(try await gw.metrics().contains(#"switchyard_gateway_attempts_total{outcome="unsupported"} 1"#))

            // Without tools, a is still the leader and serves.
            let plainChat = try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[]}"#)
            #expect(plainChat.headers["x-switchyard-provider"] == "a")
        }
    }

    @Test func aFourHundredThatIsTheRequestsOwnFaultStillGoesToTheCallerAtOnce() async throws {
        try await GatewayTestDaemon.run { gw in
            gw.simulators["a"]!.setBehavior({
                var behavior = SimulatorBehavior(models: ["m-up"], latencyMs: 1)
                behavior.rejectsTools = true
                return behavior
            }())
            // Pinned to a: nothing else to try, so the provider's own 400 reaches the caller whole.
            let pinned = try await gw.post("/v1/chat/completions", #"{"model":"m:a","messages":[],\#(Self.tools)}"#)
            #expect(pinned.status == 400 && pinned.payload.contains("this model does not support tools"), "\(pinned.payload)")
        }
    }
}
