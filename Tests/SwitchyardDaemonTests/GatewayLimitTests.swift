import Foundation
import SwitchyardSimulator
import Testing

/// Per-client rate and budget on the live gateway: a client over either gets a 429 in the OpenAI
/// shape, with `Retry-After`, before any provider is tried; other clients carry on.
@Suite(.serialized, .timeLimit(.minutes(3))) struct GatewayLimitTests {
    static let chat = #"{"model":"m:a","messages":[{"role":"user","content":"hi"}],"max_tokens":4}"#
    static let limitedClients = """
          - { name: rated, token_env: LIMITED_TOKEN_1, rate: { requests_per_minute: 2 } }
          - { name: thrifty, token_env: LIMITED_TOKEN_2, budget: { usd_per_day: 0.00003 } }
        """

    /// Chat completions the simulators have seen so far.
    static func upstreamChats(_ gw: GatewayTestDaemon) -> Int {
        gw.simulators.values.flatMap(\.recordedRequests).filter { $0.path == "/v1/chat/completions" }.count
    }

    /// The value of the series whose line starts with `series`, if it exists.
    static func value(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    static let thriftySpend = #"switchyard_gateway_client_spend_usd_total{client="thrifty"}"#

    @Test func aClientOverItsRateGets429WithRetryAfterAndReachesNoProvider() async throws {
        try await GatewayTestDaemon.run(clientsYAML: Self.limitedClients) { gw in
            let token = GatewayTestDaemon.limitedTokens[0]
            let before = Self.upstreamChats(gw)
            for _ in 0..<2 {
                let answer = try await gw.post("/v1/chat/completions", Self.chat, token: token)
                #expect(answer.status == 200, "\(answer.payload)")
            }
            // Two per minute: the third within the same half minute is refused (the bucket refills one per 30 s).
            let refused = try await gw.post("/v1/chat/completions", Self.chat, token: token)
            #expect(refused.status == 429)
            let retryAfter = try #require(Int(refused.headers["retry-after"] ?? ""))
            #expect((1...30).contains(retryAfter))
            #expect(refused.headers["x-switchyard-attempts"] == "0")
            #expect(refused.headers["x-switchyard-provider"] == "")
            let error = try #require(refused.json["error"] as? [String: Any])
            #expect(error["code"] as? String == "client_rate_limited")
            #expect(error["type"] as? String == "rate_limit_error")
            #expect((error["message"] as? String)?.contains("2 requests per minute") == true)
            #expect(Self.upstreamChats(gw) == before + 2)
            // Another client is not affected.
            let other = try await gw.post("/v1/chat/completions", Self.chat)
            #expect(other.status == 200)
            #expect(Self.upstreamChats(gw) == before + 3)
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_client_refused_total{client="rated",reason="rate"} 1"#))
            #expect(metrics.contains(#"switchyard_gateway_requests_total{endpoint="chat_completions",result="client_limited"} 1"#))
            // The refusal is reported against no provider.
            #expect(!metrics.contains(#"switchyard_gateway_attempts_total{outcome="rate_limited"}"# + " 1"))
        }
    }

    @Test func aClientOverItsBudgetIsRefusedUntilMidnightAndSpendsNothingMore() async throws {
        try await GatewayTestDaemon.run(clientsYAML: Self.limitedClients) { gw in
            let token = GatewayTestDaemon.limitedTokens[1]
            let before = Self.upstreamChats(gw)
            // Each answer from `a` costs 9 prompt × $1 + 4 completion tokens × $2 per million = $0.000017;
            // the budget of $0.00003 admits the second request (spent $0.000017) and nothing after it.
            for spent in [17e-6, 34e-6] {
                let answer = try await gw.post("/v1/chat/completions", Self.chat, token: token)
                #expect(answer.status == 200, "\(answer.payload)")
                // The spend is counted when the answer has gone out, which the caller may see first.
                let counted = try await eventually(within: 5) {
                    try await Self.value(gw.metrics(), Self.thriftySpend).map { abs($0 - spent) < 1e-12 } == true
                }
                let lines = try await gw.metrics().split(separator: "\n").filter { $0.contains("thrifty") || $0.contains("cost_usd_total{") }
                #expect(counted, "\(lines)")
            }
            for _ in 0..<3 {
                let refused = try await gw.post("/v1/chat/completions", Self.chat, token: token)
                #expect(refused.status == 429)
                let error = try #require(refused.json["error"] as? [String: Any])
                #expect(error["code"] as? String == "client_budget_exhausted")
                // Retry-After: the seconds to the next UTC midnight.
                let retryAfter = try #require(Int(refused.headers["retry-after"] ?? ""))
                let toMidnight = 86_400 - Int(Date().timeIntervalSince1970) % 86_400
                #expect(abs(retryAfter - toMidnight) <= 2, "Retry-After \(retryAfter), \(toMidnight) s to midnight")
            }
            // Streaming requests are refused the same way.
            let stream = try await gw.post("/v1/chat/completions", #"{"model":"m","stream":true,"messages":[]}"#, token: token)
            #expect(stream.status == 429)
            #expect(Self.upstreamChats(gw) == before + 2)
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_client_refused_total{client="thrifty",reason="budget"} 4"#))
            #expect(Self.value(metrics, Self.thriftySpend).map { abs($0 - 34e-6) < 1e-12 } == true)
            // Another client is not affected, and a client without a budget has no refusals.
            let other = try await gw.post("/v1/chat/completions", Self.chat)
            #expect(other.status == 200)
            #expect(Self.upstreamChats(gw) == before + 3)
            #expect(!(try await gw.metrics()).contains(#"client_refused_total{client="app""#))
            // The status page shows the client's spend against its budget and its refusals.
            let page = try await RawHTTP.exchange(gw.address, "GET", "/").body
            let row = try #require(page.range(of: #"data-client="thrifty""#).map { page[$0.lowerBound...].prefix { $0 != "\n" } })
            #expect(row.contains(#"data-refused-rate="0" data-refused-budget="4""#), "\(row)")
            #expect(row.contains("$0.000034 of $0.00003</td>") && row.contains(#"class="num failed""#), "\(row)")
            #expect(page.contains(#"data-client="rated""#), "a client with limits is listed before it spends")
        }
    }

    /// The day's spend is kept in SQLite: restarting the daemon on the same state gives a client
    /// over its budget nothing back. (Before the spend was stored, the restarted daemon answered 200.)
    @Test func aClientOverItsBudgetStaysRefusedAfterTheDaemonRestarts() async throws {
        try await withTemporaryDirectory { directory in
            let token = GatewayTestDaemon.limitedTokens[1]
            try await GatewayTestDaemon.run(clientsYAML: Self.limitedClients, stateDirectory: directory) { gw in
                for _ in 0..<2 {
                    let answer = try await gw.post("/v1/chat/completions", Self.chat, token: token)
                    #expect(answer.status == 200, "\(answer.payload)")
                }
                #expect(try await eventually(within: 5) {
                    try await Self.value(gw.metrics(), Self.thriftySpend).map { abs($0 - 34e-6) < 1e-12 } == true
                })
                #expect(try await gw.post("/v1/chat/completions", Self.chat, token: token).status == 429)
            }
            try await GatewayTestDaemon.run(clientsYAML: Self.limitedClients, stateDirectory: directory) { gw in
                let refused = try await gw.post("/v1/chat/completions", Self.chat, token: token)
                #expect(refused.status == 429, "\(refused.payload)")
                #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "client_budget_exhausted")
                #expect(Self.upstreamChats(gw) == 0)
                // Another client still has its whole budget.
                #expect(try await gw.post("/v1/chat/completions", Self.chat).status == 200)
            }
            // What is stored names the client, never its token.
            let files = ["/switchyard.db", "/switchyard.db-wal"].compactMap { try? Data(contentsOf: URL(fileURLWithPath: directory + $0)) }
            let dump = files.map { String(decoding: $0, as: UTF8.self) }.joined()
            #expect(dump.contains("thrifty"))
            #expect(!dump.contains(token) && !dump.contains(GatewayTestDaemon.callerToken))
        }
    }
}
