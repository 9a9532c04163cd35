import Foundation
import SwitchyardCore
import SwitchyardSimulator
import Testing

/// The gateway end to end: a daemon with two simulated providers, real libcurl transfers,
/// real sockets. Requests go in raw, so every header and byte of the answer is checked.
@Suite(.serialized, .timeLimit(.minutes(3))) struct GatewayTests {
    static let chat = #"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":4}"#

    @Test func aPlainChatIsForwardedWithTheProviderKeyAndNeverTheCallersToken() async throws {
        try await GatewayTestDaemon.run { gw in
            // Fields the gateway does not know travel byte for byte; `provider` is ours and is removed.
            let body = #"{"temperature": 0.25, "model":"m","provider":{"order":["a"]} ,"messages":[{"role":"user","content":"hi"}],"x_custom":{"k":[1,2.50,"\u00e9"]},"max_tokens":4}"#
            let answer = try await gw.post("/v1/chat/completions", body)
            #expect(answer.status == 200, "\(answer.payload)")
            #expect(answer.headers["x-switchyard-provider"] == "a")
            #expect(answer.headers["x-switchyard-upstream-model"] == "m-up")
            #expect(answer.headers["x-switchyard-attempts"] == "1")
            #expect((answer.json["choices"] as? [Any])?.count == 1)
            let seen = try #require(gw.simulators["a"]!.recordedRequests.last)
            #expect(seen.path == "/v1/chat/completions")
            #expect(seen.header("authorization") == "Bearer \(GatewayTestDaemon.keys["a"]!)")
            #expect(seen.header("content-type") == "application/json", "said by the gateway, not defaulted by the transport")
            #expect(seen.header("accept-encoding") == "identity", "the answer is checked and passed on as sent")
            for request in gw.simulators.values.flatMap(\.recordedRequests) {
                #expect(!request.headers.values.contains { $0.contains("caller-secret-token") }, "the caller's token reached \(request.path)")
            }
            #expect(String(decoding: seen.body, as: UTF8.self)
                    == #"{"temperature": 0.25, "model":"m-up","messages":[{"role":"user","content":"hi"}],"x_custom":{"k":[1,2.50,"\u00e9"]},"max_tokens":4}"#)
            // The attempt is a report: health book, metrics (and the store) as POST /v1/reports items.
            #expect(try await eventually(within: 5) {
                try await gw.metrics().contains(#"switchyard_cost_usd_total{provider="a",model="m",source="report"}"#)
            })
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_requests_total{endpoint="chat_completions",result="ok"} 1"#))
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="ok"} 1"#))
            #expect(!metrics.contains(GatewayTestDaemon.keys["a"]!) && !gw.logs.text.contains(GatewayTestDaemon.keys["a"]!))
        }
    }

    @Test func streamingPassesEventsThroughAndDropsTheUsageChunkOnlyWhenTheCallerDidNotAskForIt() async throws {
        try await GatewayTestDaemon.run { gw in
            let plain = try await gw.post("/v1/chat/completions", #"{"model":"m","stream":true,"messages":[]}"#)
            #expect(plain.status == 200)
            #expect(plain.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(plain.payload.contains(#""content":"OK""#))
            #expect(plain.payload.hasSuffix("data: [DONE]\n\n"))
            #expect(!plain.payload.contains(#""usage""#), "the usage chunk the gateway asked for went to the caller")
            let sent = try #require(gw.simulators["a"]!.recordedRequests.last)
            #expect(String(decoding: sent.body, as: UTF8.self) == #"{"model":"m-up","stream":true,"messages":[],"stream_options":{"include_usage":true}}"#)

            let withUsage = try await gw.post("/v1/chat/completions", #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#)
            #expect(withUsage.payload.contains(#""completion_tokens":8"#))
            #expect(withUsage.payload.hasSuffix("data: [DONE]\n\n"))
            // Both streams' tokens were counted (cost from the configured price).
            #expect(try await eventually(within: 5) {
                try await gw.metrics().contains(#"switchyard_report_results_total{provider="a",model="m",outcome="ok"} 2"#)
            })
            let cost = try await gw.metrics().split(separator: "\n").first { $0.hasPrefix(#"switchyard_cost_usd_total{provider="a",model="m",source="report"}"#) }
            // 2 × (9 prompt tokens × $1 + 8 completion tokens × $2) per million.
            #expect(cost.flatMap { Double($0.split(separator: " ").last ?? "") }.map { abs($0 - 2 * 25e-6) < 1e-9 } == true, "\(cost ?? "no cost")")
        }
    }

    @Test func aProviderAnswering500IsFailedOverBeforeTheFirstByte() async throws {
        try await GatewayTestDaemon.run { gw in
            try await gw.chatFailedOverToB(from: .serverError)
            // The failed attempt is the caller's report: the health book probes `a` at once to confirm it and
            // may eject it, so later requests may skip it without an attempt. None of them fails.
            var failovers = 1
            for (path, body) in [("/v1/completions", #"{"model":"m","prompt":"hi","provider":{"order":["a","b"]}}"#),
                                 ("/v1/chat/completions", #"{"model":"m","stream":true,"messages":[],"provider":{"order":["a","b"]}}"#)] {
                let answer = try await gw.post(path, body)
                #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "b", "\(path): \(answer.payload)")
                failovers += (Int(answer.headers["x-switchyard-attempts"] ?? "") ?? 0) - 1
                if body.contains("stream") { #expect(answer.payload.hasSuffix("data: [DONE]\n\n")) }
            }
            // The last report is sent once the stream has gone out, which the caller may see first.
            #expect(try await eventually(within: 5) { try await gw.metrics().contains(#"switchyard_gateway_attempts_total{outcome="ok"} 3"#) })
            let metrics = try await gw.metrics()
            #expect(metrics.contains("switchyard_gateway_failovers_total \(failovers)"))
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="server_error"} \#(failovers)"#))
            #expect(metrics.contains(#"switchyard_report_results_total{provider="a",model="m",outcome="server_error"} \#(failovers)"#))
            #expect(gw.logs.lines(containing: "confirming_probe").contains { $0.contains("app") }, "reports are attributed to the caller")

            // Pinned to the failing provider: no failover, the attempts' failures in the OpenAI error shape.
            let pinned = try await gw.post("/v1/chat/completions", #"{"model":"m:a","messages":[]}"#)
            #expect(pinned.status == 502)
            #expect(pinned.headers["x-switchyard-attempts"] == "1")
            let error = try #require(pinned.json["error"] as? [String: Any])
            #expect(error["type"] as? String == "upstream_error" && error["code"] as? String == "upstream_failed")
            #expect((error["message"] as? String)?.contains("a: HTTP 500") == true)
        }
    }

    @Test func anAttemptWithoutAFirstByteWithinItsTimeoutIsFailedOver() async throws {
        try await GatewayTestDaemon.run(modelExtra: ", probe: { attempt_timeout: 300ms }") { gw in
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1, fault: .hang))
            let started = ContinuousClock.now
            let answer = try await gw.post("/v1/chat/completions", #"{"model":"m","stream":true,"messages":[],"provider":{"order":["a","b"]}}"#)
            #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "b", "\(answer.payload)")
            #expect(answer.headers["x-switchyard-attempts"] == "2")
            #expect(ContinuousClock.now - started < .seconds(3), "the hung attempt was given up after its 300 ms")
            #expect(try await eventually(within: 5) { try await gw.metrics().contains(#"switchyard_gateway_attempts_total{outcome="timeout"} 1"#) })
        }
    }

    @Test func theRequestsOwnFaultsAreAnsweredAtOnceInTheOpenAIShape() async throws {
        try await GatewayTestDaemon.run(listenExtra: ", max_body_bytes: 2000") { gw in
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"nope","messages":[]}"#), 404, "model_not_found", "configured: m")
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[}"#), 400, "invalid_json")
            expectError(try await gw.post("/v1/chat/completions", #"{"messages":[]}"#), 400, "missing_model")
            // Escaped names beyond the BMP (a surrogate pair) and lone surrogates are names, not missing ones (schemathesis).
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"\ud83d\ude00","messages":[]}"#), 404, "model_not_found", "'😀'")
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"\udd80x","messages":[]}"#), 404, "model_not_found", "'\u{FFFD}x'")
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"m","provider":{"sort":"random"}}"#), 400, "bad_provider", "provider.sort")
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"m","provider":{"max_price":true}}"#), 400, "bad_provider", "provider.max_price")
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"m","x":""# + String(repeating: "x", count: 3000) + #""}"#), 413, "body_too_large")
            expectError(try await gw.post("/v1/chat/completions?bogus=1", Self.chat), 400, "bad_parameter")
            // Preferences that leave no provider: a 404, as OpenRouter answers it (found by schemathesis: was a 503).
            expectError(try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[],"provider":{"only":["zz"]}}"#),
                        404, "no_provider_matches", "its providers: a, b")
            // The provider refuses the request (400): returned as is, no failover, nothing against the provider.
            let refused = try await gw.post("/v1/chat/completions", #"{"model":"m","stream":"yes"}"#)
            #expect(refused.status == 400)
            #expect(refused.headers["x-switchyard-attempts"] == "1")
            #expect(gw.simulators["b"]!.recordedRequests.isEmpty)
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="caller_error"} 1"#))
            #expect(metrics.contains(#"switchyard_report_results_total{provider="a",model="m",outcome="ok"} 0"#))
            #expect(!metrics.contains(#"switchyard_report_results_total{provider="a",model="m",outcome="bad_response"}"#))
            // An escaped name is the name (after the metrics above: it is a successful call).
            // A preference of 0 is a number, not a boolean (Linux bridges NSNumber 0 and 1 to Bool; found by schemathesis).
            #expect(try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[],"provider":{"preferred_max_latency":0.0,"max_price":6372369522437830.0}}"#).status == 200)
            #expect(try await gw.post("/v1/chat/completions", #"{"model":"\u006d","messages":[]}"#).status == 200)
            // /v1/models lists what can be routed, with the providers behind it.
            let models = try await gw.get("/v1/models")
            let data = try #require(models.json["data"] as? [[String: Any]])
            #expect(data.count == 1 && data[0]["id"] as? String == "m" && data[0]["providers"] as? [String] == ["a", "b"])
            #expect(data[0]["tasks"] as? [String] == ["chat"], "each model's tasks beside OpenAI's fields")
            // /v1/models/{model} (the SDKs' models.retrieve): that entry, under the id asked for, read
            // with the request grammar; a "/" comes as %2F or unescaped; unknown: 404 in the OpenAI shape listing the known.
            let one = try await gw.get("/v1/models/m:fastest")
            #expect(one.status == 200 && one.json["id"] as? String == "m:fastest" && one.json["object"] as? String == "model", "\(one.payload)")
            #expect(one.json["providers"] as? [String] == ["a", "b"] && one.json["tasks"] as? [String] == ["chat"])
            #expect(try await gw.get("/v1/models/m-up").json["id"] as? String == "m-up")
            expectError(try await gw.get("/v1/models/org%2Fnope"), 404, "model_not_found", "no model named 'org/nope'; configured: m")
            expectError(try await gw.get("/v1/models/org/nope:a"), 404, "model_not_found", "no model named 'org/nope:a'; configured: m")
            expectError(try await gw.get("/v1/models/m?x=1"), 400, "bad_parameter", "x: unknown parameter")
        }
    }

    /// Every provider answers 429: the caller is told the soonest `Retry-After` any of them gave
    /// (so the SDK's retry waits that long), and each target is held back as long as it asked, not
    /// the policy's 30 s default.
    @Test func whenEveryProviderIsRateLimitedTheCallerWaitsTheSoonestRetryAfter() async throws {
        try await GatewayTestDaemon.run { gw in
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1, fault: .rateLimited, retryAfterSeconds: 90))
            gw.simulators["b"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1, fault: .rateLimited, retryAfterSeconds: 7))
            let asked = Date()
            let answer = try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[],"provider":{"order":["a","b"]}}"#)
            expectError(answer, 429, "upstream_rate_limited", "all 2 attempts failed")
            #expect(answer.headers["retry-after"] == "7", "\(answer.headers)")
            for (provider, seconds) in [("a", 90.0), ("b", 7.0)] {
                let held = try await eventually(within: 5) {
                    let body = try await RawHTTP.exchange(.unix(path: gw.directory + "/switchyard.sock"), "GET", "/v1/providers/\(provider)")
                    let target = (body.json["targets"] as? [[String: Any]])?.first
                    guard target?["state"] as? String == "rate_limited", let text = target?["retry_at"] as? String,
                          let until = Timestamp(rfc3339: text) else { return false }
                    let wait = until.secondsSinceEpoch - asked.timeIntervalSince1970
                    return wait > seconds - 1 && wait < seconds + 5
                }
                #expect(held, "\(provider) is rate limited for about \(seconds) s")
            }
        }
    }

    /// A `Retry-After` of `inf` or `1e300` used to be believed: the daemon then trapped turning
    /// that instant into a time of day. Now it is unreadable (as if absent), and the daemon keeps serving.
    @Test func aProvidersGarbageRetryAfterIsNotBelieved() async throws {
        try await GatewayTestDaemon.run { gw in
            for (provider, text) in [("a", "1e300"), ("b", "inf")] {
                var behavior = SimulatorBehavior(models: ["m-up"], latencyMs: 1, fault: .rateLimited)
                behavior.retryAfterText = text
                gw.simulators[provider]!.setBehavior(behavior)
            }
            let answer = try await gw.post("/v1/chat/completions", Self.chat)
            expectError(answer, 429, "upstream_rate_limited")
            #expect(answer.headers["retry-after"] == "1")
            for provider in ["a", "b"] {
                let body = try await RawHTTP.exchange(.unix(path: gw.directory + "/switchyard.sock"), "GET", "/v1/providers/\(provider)")
                #expect(body.status == 200 && (body.json["targets"] as? [[String: Any]])?.first?["last_error"] as? String == "rate_limited",
                        "\(body.body)")
            }
            #expect(try await RawHTTP.exchange(gw.address, "GET", "/").status == 200)
            #expect(try await gw.metrics().contains("switchyard_gateway_attempts_total"))
        }
    }

    /// What stopped the daemon until 2026-12-06: a caller's `max_tokens` of Int.max (the context
    /// estimate overflowed), and a provider claiming 4.6 * 10^18 tokens twice in a minute (the
    /// minute rollup's sum overflowed; the tokens/s figure passed Int.max). Now the limit is a
    /// trillion tokens, a claimed count is believed up to 10^8, and the daemon keeps serving.
    @Test func absurdTokenCountsFromACallerOrAProviderAreBounded() async throws {
        try await GatewayTestDaemon.run { gw in
            let unlimited = try await gw.post("/v1/chat/completions", #"{"model":"m","max_tokens":9223372036854775807,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(unlimited.status == 200, "\(unlimited.body)")
            var behavior = SimulatorBehavior(models: ["m-up"], latencyMs: 1)
            behavior.claimedUsageTokens = 4_611_686_018_427_387_904
            gw.simulators["a"]!.setBehavior(behavior)
            for stream in [false, true, false] {
                let answer = try await gw.post("/v1/chat/completions", #"{"model":"m","stream":\#(stream),"messages":[],"provider":{"order":["a"]}}"#)
                #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "a", "\(answer.body)")
            }
            let provider = try await RawHTTP.exchange(.unix(path: gw.directory + "/switchyard.sock"), "GET", "/v1/providers/a")
            #expect(provider.status == 200, "\(provider.body)")
            #expect(try await RawHTTP.exchange(gw.address, "GET", "/").status == 200)
            #expect(try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m").status == 200)
            // The minute rollup sums them (it overflowed here) and history reads them back.
            let history = try await RawHTTP.exchange(.unix(path: gw.directory + "/switchyard.sock"), "GET", "/v1/history?provider=a&model=m")
            #expect(history.status == 200, "\(history.body)")
            #expect(try await gw.metrics().contains("switchyard_gateway_requests_total"))
        }
    }

    @Test func aStreamThatBreaksAfterItsFirstByteEndsWithAnErrorEvent() async throws {
        try await GatewayTestDaemon.run { gw in
            let answer = try await gw.streamedChat(breakingWith: .truncated)
            #expect(answer.payload.hasSuffix("\n\n") && answer.payload.contains(#"data: {"error":{"#), "\(answer.payload)")
            #expect(!answer.payload.contains("[DONE]"))
            #expect(try await eventually(within: 5) {
                try await gw.metrics().contains(#"switchyard_gateway_requests_total{endpoint="chat_completions",result="stream_broken"} 1"#)
            })
        }
    }

    @Test func callersAuthenticateOverTCPAndTheirReportsCarryTheirName() async throws {
        try await GatewayTestDaemon.run { gw in
            for token in [nil, "wrong-token"] {
                let refused = try await gw.post("/v1/chat/completions", Self.chat, token: token)
                #expect(refused.status == 401)
                #expect(refused.headers["www-authenticate"] == "Bearer")
                #expect((refused.json["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            }
            #expect(gw.simulators.values.allSatisfy { $0.recordedRequests.isEmpty })
            let narrow = try await gw.post("/v1/chat/completions", Self.chat, token: GatewayTestDaemon.narrowToken)
            #expect(narrow.status == 403)
            #expect((narrow.json["error"] as? [String: Any])?["code"] as? String == "model_not_allowed")
            // The Unix socket's peer needs no token.
            let viaSocket = try await RawHTTP.exchange(.unix(path: gw.directory + "/switchyard.sock"), "POST", "/v1/chat/completions",
                                                        headers: ["Content-Type: application/json"], body: Self.chat)
            #expect(viaSocket.status == 200)
            #expect(try await gw.post("/v1/chat/completions", Self.chat).status == 200)
        }
    }

    @Test func theModelListAsksForACallerAndShowsAClientOnlyWhatItMayUse() async throws {
        try await GatewayTestDaemon.run { gw in
            for path in ["/v1/models", "/v1/models/m"] {
                for token in [nil, "wrong-token"] {
                    let refused = try await gw.get(path, token: token)
                    #expect(refused.status == 401 && refused.headers["www-authenticate"] == "Bearer", "\(path): \(refused.payload)")
                    #expect((refused.json["error"] as? [String: Any])?["type"] as? String == "authentication_error")
                }
            }
            // `narrow` may use only `other`: it sees no model, and asking for `m` by name gets the 403 a request would.
            let narrowList = try await gw.get("/v1/models", token: GatewayTestDaemon.narrowToken)
            #expect(narrowList.status == 200 && (narrowList.json["data"] as? [Any])?.isEmpty == true, "\(narrowList.payload)")
            expectError(try await gw.get("/v1/models/m", token: GatewayTestDaemon.narrowToken), 403, "model_not_allowed", "client 'narrow' may not use 'm'")
            // The Unix socket's peer needs no token and sees every model.
            let viaSocket = try await RawHTTP.exchange(.unix(path: gw.directory + "/switchyard.sock"), "GET", "/v1/models")
            #expect((viaSocket.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == ["m"], "\(viaSocket.payload)")
        }
    }

    @Test func aNamespacedModelIsRetrievedWithItsSlashEscapedOrNot() async throws {
        try await GatewayTestDaemon.run(model: "org/m") { gw in
            for path in ["/v1/models/org/m", "/v1/models/org%2Fm"] {
                let one = try await gw.get(path)
                #expect(one.status == 200 && one.json["id"] as? String == "org/m", "\(path): \(one.payload)")
            }
            let pinned = try await gw.get("/v1/models/org/m:b")
            #expect(pinned.json["id"] as? String == "org/m:b" && pinned.json["providers"] as? [String] == ["a", "b"], "\(pinned.payload)")
            expectError(try await gw.get("/v1/models/org/nope"), 404, "model_not_found", "no model named 'org/nope'; configured: org/m")
            #expect(try await gw.post("/v1/chat/completions", #"{"model":"org/m","messages":[]}"#).status == 200)
        }
    }

    @Test func aCallerThatDisconnectsMidStreamCancelsTheUpstreamTransfer() async throws {
        try await GatewayTestDaemon.run { gw in
            // A 10 s stream: 50 tokens at 5 per second.
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1, completionTokens: 50, tokensPerSecond: 5))
            let started = ContinuousClock.now
            try await offPool {
                let fd = try RawHTTP.connectSocket(gw.address)
                defer { close(fd) }
                let body = #"{"model":"m","stream":true,"messages":[]}"#
                let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(GatewayTestDaemon.callerToken)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
                _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                var received = ""
                while !received.contains("data: ") {  // the first event arrived: the stream is flowing
                    let count = recv(fd, &buffer, buffer.count, 0)
                    guard count > 0 else { break }
                    received += String(decoding: buffer[0..<count], as: UTF8.self)
                }
            }
            // The caller is gone: the gateway stops at its next write and cancels the upstream transfer,
            // long before the 10 s stream would have ended; the attempt is not held against the provider.
            #expect(try await eventually(within: 5) {
                try await gw.metrics().contains(#"switchyard_gateway_requests_total{endpoint="chat_completions",result="caller_error"} 1"#)
            })
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(!(try await gw.metrics()).contains(#"switchyard_report_results_total{provider="a",model="m",outcome="canceled"}"#))
            // The daemon keeps serving meanwhile.
            #expect(try await gw.post("/v1/chat/completions", Self.chat).status == 200)
        }
    }

    @Test func routeAcceptsTheSameModelGrammar() async throws {
        try await GatewayTestDaemon.run { gw in
            let pinned = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m:b")
            #expect(pinned.status == 200)
            #expect((pinned.json["candidates"] as? [[String: Any]])?.map { $0["provider"] as? String } == ["b"])
            let byUpstream = try await RawHTTP.exchange(gw.address, "GET", "/v1/route?model=m-up:cheapest")
            #expect(byUpstream.json["model"] as? String == "m" && byUpstream.json["strategy"] as? String == "cheapest")
        }
    }

    @Test func beyondMaxConcurrentTheGatewayAnswers503WithRetryAfter() async throws {
        try await GatewayTestDaemon.run(gatewayYAML: "gateway: { max_concurrent: 1 }") { gw in
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1500))
            async let slow = gw.post("/v1/chat/completions", Self.chat)
            #expect(try await eventually(within: 5) { gw.simulators["a"]!.recordedRequests.count == 1 })
            let refused = try await gw.post("/v1/chat/completions", Self.chat)
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"] == "1")
            #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "overloaded")
            #expect(try await slow.status == 200)
            // The slot is given back once the answer has gone out.
            #expect(try await eventually(within: 5) { try await gw.post("/v1/chat/completions", Self.chat).status == 200 })
        }
    }
}

/// An answer in the OpenAI error shape with `status`, `code` and a message containing `fragment`.
func expectError(_ answer: RawHTTP.Answer, _ status: Int, _ code: String, _ fragment: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(answer.status == status, "\(answer.payload)", sourceLocation: sourceLocation)
    let error = answer.json["error"] as? [String: Any]
    #expect(error?["code"] as? String == code, "\(answer.payload)", sourceLocation: sourceLocation)
    #expect(error?["type"] as? String != nil && error?["message"] as? String != nil, sourceLocation: sourceLocation)
    let message = error?["message"] as? String ?? ""
    #expect(fragment.isEmpty || message.contains(fragment), "\(answer.payload)", sourceLocation: sourceLocation)
    #expect(answer.headers["x-switchyard-attempts"] != nil, sourceLocation: sourceLocation)
}
