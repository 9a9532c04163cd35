import Foundation
import SwitchyardSimulator
import Testing

/// Hedging end to end: a daemon with two simulated providers, `a` tried first (`provider.order`),
/// real libcurl transfers. A hedge is seen where it happens: which simulator answered, the
/// `x-switchyard-attempts` header, the simulators' own counts (a canceled transfer is a
/// connection the simulator finds closed when its answer is ready) and the metrics.
@Suite(.serialized, .timeLimit(.minutes(3))) struct GatewayHedgeTests {
    static let chat = #"{"model":"m","messages":[],"provider":{"order":["a","b"]}}"#
    static let stream = #"{"model":"m","stream":true,"messages":[],"provider":{"order":["a","b"]}}"#

    static func hedge(after: String, maxExtra: String) -> String {
        ", probe: { hedge: { after: \(after), max_extra: \(maxExtra) } }"
    }

    static func set(_ gw: GatewayTestDaemon, a: SimulatorBehavior, b: SimulatorBehavior) {
        gw.simulators["a"]!.setBehavior(a)
        gw.simulators["b"]!.setBehavior(b)
    }

    static func abandoned(_ gw: GatewayTestDaemon, _ name: String) -> Int { gw.simulators[name]!.stats["abandoned"] ?? -1 }

    @Test func hedgingIsOffByDefault() async throws {
        try await GatewayTestDaemon.run { gw in
            Self.set(gw, a: SimulatorBehavior(models: ["m-up"], latencyMs: 400), b: SimulatorBehavior(models: ["m-up"], latencyMs: 1))
            let answer = try await gw.post("/v1/chat/completions", Self.chat)
            #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "a", "\(answer.payload)")
            #expect(answer.headers["x-switchyard-attempts"] == "1")
            #expect(gw.simulators["b"]!.recordedRequests.isEmpty, "no second request without hedge:")
            #expect(try await gw.metrics().contains(#"switchyard_gateway_hedges_total{result="started"} 0"#))
        }
    }

    @Test func aSlowFirstProviderIsHedgedTheFasterAnswersAndTheSlowTransferIsCanceled() async throws {
        try await GatewayTestDaemon.run(modelExtra: Self.hedge(after: "100ms", maxExtra: "100%")) { gw in
            Self.set(gw, a: SimulatorBehavior(models: ["m-up"], latencyMs: 1500), b: SimulatorBehavior(models: ["m-up"], latencyMs: 1))
            for body in [Self.chat, Self.stream] {
                let started = ContinuousClock.now
                let answer = try await gw.post("/v1/chat/completions", body)
                #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "b", "\(answer.payload)")
                #expect(answer.headers["x-switchyard-attempts"] == "2", "both attempts are counted")
                #expect(ContinuousClock.now - started < .milliseconds(1200), "b answered, not a after its 1.5 s")
                if body.contains("stream") { #expect(answer.payload.hasSuffix("data: [DONE]\n\n")) }
            }
            #expect(gw.simulators["a"]!.recordedRequests.count == 2 && gw.simulators["b"]!.recordedRequests.count == 2)
            // a's answers were ready after 1.5 s to connections the gateway had closed.
            #expect(try await eventually(within: 5) { Self.abandoned(gw, "a") == 2 })
            #expect(Self.abandoned(gw, "b") == 0)
            #expect(try await eventually(within: 5) { try await gw.metrics().contains(#"switchyard_gateway_attempts_total{outcome="ok"} 2"#) })
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_hedges_total{result="started"} 2"#))
            #expect(metrics.contains(#"switchyard_gateway_hedges_total{result="hedge_won"} 2"#))
            // The canceled loser is reported as canceled, which is no failure of a.
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="canceled"} 2"#))
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="timeout"} 0"#))
            #expect(try await eventually(within: 5) {
                try await gw.metrics().contains(#"switchyard_report_results_total{provider="a",model="m",outcome="canceled"} 2"#)
            })
            let health = try await RawHTTP.exchange(gw.address, "GET", "/v1/providers").payload
            #expect(!health.contains("ejected"), "\(health)")
            let page = try await RawHTTP.exchange(gw.address, "GET", "/").body
            #expect(page.contains(#"data-hedges="2" data-hedges-won="2""#), "the status page shows the hedges")
        }
    }

    @Test func theBudgetCapsHedgesAtMaxExtraOfTheRequests() async throws {
        try await GatewayTestDaemon.run(modelExtra: Self.hedge(after: "40ms", maxExtra: "10%")) { gw in
            Self.set(gw, a: SimulatorBehavior(models: ["m-up"], latencyMs: 150), b: SimulatorBehavior(models: ["m-up"], latencyMs: 1))
            var hedged = 0
            for _ in 0..<30 {
                let answer = try await gw.post("/v1/chat/completions", Self.chat)
                #expect(answer.status == 200, "\(answer.payload)")
                if answer.headers["x-switchyard-attempts"] == "2" { hedged += 1 }
            }
            // Every request was slow enough to hedge; 10 % of 30 allows exactly 3.
            #expect(hedged == 3)
            #expect(gw.simulators["b"]!.recordedRequests.count == 3)
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_hedges_total{result="started"} 3"#))
            #expect(metrics.contains(#"switchyard_gateway_hedges_total{result="no_budget"} 27"#))
        }
    }

    @Test func aFourHundredIsTheCallersAnswerAndNoHedgeStartsAfterOne() async throws {
        try await GatewayTestDaemon.run(modelExtra: Self.hedge(after: "100ms", maxExtra: "100%")) { gw in
            let bad = #"{"model":"m","stream":"yes","provider":{"order":["a","b"]}}"#
            // a refuses the request at once: that is the answer; nothing goes to b.
            Self.set(gw, a: SimulatorBehavior(models: ["m-up"], latencyMs: 1), b: SimulatorBehavior(models: ["m-up"], latencyMs: 1))
            let refused = try await gw.post("/v1/chat/completions", bad)
            #expect(refused.status == 400 && refused.headers["x-switchyard-attempts"] == "1", "\(refused.payload)")
            #expect(gw.simulators["b"]!.recordedRequests.isEmpty)
            // a refuses it (404: the model) after the hedge started: still the answer, and b's transfer is canceled.
            Self.set(gw, a: SimulatorBehavior(models: ["not-m-up"], latencyMs: 400), b: SimulatorBehavior(models: ["m-up"], latencyMs: 1500))
            let late = try await gw.post("/v1/chat/completions", Self.chat)
            #expect(late.status == 404 && late.headers["x-switchyard-provider"] == "a" && late.headers["x-switchyard-attempts"] == "2", "\(late.payload)")
            #expect(try await eventually(within: 5) { Self.abandoned(gw, "b") == 1 })
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_hedges_total{result="first_won"} 1"#))
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="caller_error"} 2"#))
        }
    }

    @Test func aPinnedRequestIsNeverHedged() async throws {
        try await GatewayTestDaemon.run(modelExtra: Self.hedge(after: "50ms", maxExtra: "100%")) { gw in
            Self.set(gw, a: SimulatorBehavior(models: ["m-up"], latencyMs: 400), b: SimulatorBehavior(models: ["m-up"], latencyMs: 1))
            let answer = try await gw.post("/v1/chat/completions", #"{"model":"m:a","messages":[]}"#)
            #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "a" && answer.headers["x-switchyard-attempts"] == "1")
            #expect(gw.simulators["b"]!.recordedRequests.isEmpty, "pinned: the policy has no next candidate to hedge with")
        }
    }

    @Test func aFailureWhileTheOtherAttemptRunsWaitsForIt() async throws {
        try await GatewayTestDaemon.run(modelExtra: Self.hedge(after: "100ms", maxExtra: "100%")) { gw in
            Self.set(gw, a: SimulatorBehavior(models: ["m-up"], latencyMs: 300, fault: .serverError),
                     b: SimulatorBehavior(models: ["m-up"], latencyMs: 700))
            let answer = try await gw.post("/v1/chat/completions", Self.chat)
            #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "b", "\(answer.payload)")
            #expect(answer.headers["x-switchyard-attempts"] == "2")
            #expect(try await eventually(within: 5) {
                try await gw.metrics().contains(#"switchyard_report_results_total{provider="a",model="m",outcome="server_error"} 1"#)
            }, "a's 500 is reported against a, as any failed attempt")
            #expect(try await gw.metrics().contains(#"switchyard_gateway_hedges_total{result="hedge_won"} 1"#))
        }
    }
}
