import Foundation
import SwitchyardClient
import SwitchyardCore
import SwitchyardSimulator
import Testing

/// Reports carry their caller: the Unix socket peer, a client token on TCP; TCP without a
/// token is refused unless `listen.tcp_without_token: true`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ReportCallerTests {
    static func body(outcome: String = "ok", provider: String = "a") -> String {
        let now = Date().timeIntervalSince1970
        return #"{"reports":[{"provider":"\#(provider)","model":"m","started_at":\#(now - 1),"outcome":"\#(outcome)","status":200,"total_ms":100}]}"#
    }

    @Test func oneClientsFailureReportsEjectOnlyWithTheConfirmingProbeItStartsAtOnce() async throws {
        let token = "cli-\(UUID().uuidString)"
        let b = ProviderSimulator(name: "b", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 1))
        let simulators = [ProviderSimulator(name: "a", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 1)), b]
        // Probes every 10 minutes: after the first round, only a confirming probe can reach b.
        try await APITestDaemon.run(extraYAML: "clients: [{ name: batch-jobs, token_env: SY_BATCH_TOKEN }]", environment: ["SY_BATCH_TOKEN": token],
                                    simulators: simulators, probeYAML: "{ interval: 10m, timeout: 2s, connect_timeout: 500ms, mode: liveness }") { daemon in
            let ready = try await eventually(within: 20) { try await RawHTTP.exchange(.unix(path: daemon.socketPath), "GET", "/readyz").status == 200 }
            #expect(ready)
            func state() async throws -> String {
                let body = try await RawHTTP.exchange(.unix(path: daemon.socketPath), "GET", "/v1/providers/b").body
                return body.firstMatch(of: /"state":"([a-z_]+)"/).map { String($0.1) } ?? "?"
            }
            #expect(try await state() == "healthy")
            func failThreeTimes() async throws -> RawHTTP.Answer {
                let now = Date().timeIntervalSince1970
                let items = (0..<3).map { #"{"provider":"b","model":"m","started_at":\#(now - 1 + Double($0) * 0.1),"outcome":"server_error","status":500,"total_ms":20}"# }
                return try await RawHTTP.exchange(.tcp(port: daemon.tcpPort), "POST", "/v1/reports",
                                                  headers: ["Authorization: Bearer \(token)"], body: #"{"reports":[\#(items.joined(separator: ","))]}"#)
            }

            // b is fine: the three reports ask for a probe at once, it succeeds, and b stays healthy.
            let before = b.requestCount
            let first = try await failThreeTimes()
            #expect(first.body.contains(#""accepted":3"#))
            let probed = try await eventually(within: 5) { b.requestCount > before }
            #expect(probed, "the confirming probe came at once, not at the 10-minute interval")
            #expect(try await state() == "healthy")

            // b really fails: the confirming probe agrees, and the ejection names the client.
            var failing = b.currentBehavior
            failing.fault = .serverError
            b.setBehavior(failing)
            _ = try await failThreeTimes()
            let ejected = try await eventually(within: 5) { try await state() == "ejected" }
            #expect(ejected)
            // The events log (from the store, written behind) names the client.
            let named = try await eventually(within: 5) {
                String(decoding: try await daemon.unix.get("/v1/events"), as: UTF8.self).contains("reported by batch-jobs, confirmed by a probe")
            }
            #expect(named)
            #expect(daemon.logs.text.contains("probing at once to confirm a caller's reports"))
        }
    }

    @Test func aRepeatedBatchIDIsAnsweredAgainWithoutBeingAppliedTwice() async throws {
        let token = "cli-\(UUID().uuidString)"
        try await APITestDaemon.run(extraYAML: "clients: [{ name: batch-jobs, token_env: SY_BATCH_TOKEN }]", environment: ["SY_BATCH_TOKEN": token],
                                    probeYAML: "{ interval: 10m, timeout: 2s, connect_timeout: 500ms, mode: liveness }") { daemon in
            let now = Date().timeIntervalSince1970
            let items = (0..<3).map { #"{"provider":"a","model":"m","started_at":\#(now - 1),"outcome":"ok","total_ms":\#(4242 + $0)}"# }
            let body = #"{"batch_id":"retry-1_A","reports":[\#(items.joined(separator: ",")),{"provider":"zzz","model":"m","started_at":\#(now),"outcome":"ok","total_ms":1}]}"#
            let unix = RawHTTP.Address.unix(path: daemon.socketPath)
            let tcp = RawHTTP.Address.tcp(port: daemon.tcpPort)
            let first = try await RawHTTP.exchange(unix, "POST", "/v1/reports", body: body)
            let again = try await RawHTTP.exchange(unix, "POST", "/v1/reports", body: body)
            #expect(first.status == 200 && again.status == 200)
            #expect(first.body.contains(#""accepted":3,"caller":"uid:\#(getuid())","rejected":1"#))
            #expect(again.body == first.body, "the retry gets the first answer")
            // Another caller's batch with the same id is its own.
            let other = try await RawHTTP.exchange(tcp, "POST", "/v1/reports", headers: ["Authorization: Bearer \(token)"], body: body)
            #expect(other.body.contains(#""accepted":3,"caller":"batch-jobs""#))
            let stored = try daemon.daemon.store.observations(of: Target(provider: ProviderID("a"), model: ModelName("m")))
            #expect(stored.filter { $0.source == .report }.count == 6, "3 from the socket once, 3 from batch-jobs")

            for bad in ["null", #""""#, #""has space""#, "42", "\"\(String(repeating: "x", count: 65))\""] {
                let answer = try await RawHTTP.exchange(unix, "POST", "/v1/reports", body: #"{"batch_id":\#(bad),"reports":[]}"#)
                #expect(answer.status == 400)
                #expect(answer.body.contains(#""code":"bad_batch_id""#), "\(bad): \(answer.body)")
            }
            let longest = try await RawHTTP.exchange(unix, "POST", "/v1/reports", body: #"{"batch_id":"\#(String(repeating: "x", count: 64))","reports":[]}"#)
            #expect(longest.status == 200)
        }
    }

    @Test func theSwiftClientSendsItsClientTokenWithReportsOverTCP() async throws {
        let token = "cli-\(UUID().uuidString)"
        try await APITestDaemon.run(extraYAML: "clients: [{ name: swift-app, token_env: SY_APP_TOKEN }]", environment: ["SY_APP_TOKEN": token]) { daemon in
            let report = OutcomeReport(provider: "a", model: "m", startedAt: Date().timeIntervalSince1970 - 1, outcome: "ok", status: 200, totalMs: 50)
            let without = SwitchyardClient(endpoint: .url(daemon.tcpURL))
            #expect(without.report(report))
            await without.flushReports()
            #expect(without.reportStats.failed == 1, "401 without a client token")
            let with = SwitchyardClient(endpoint: .url(daemon.tcpURL), clientToken: token)
            #expect(with.report(report))
            await with.flushReports()
            #expect(with.reportStats.sent == 1 && with.reportStats.failed == 0)
            // The client token goes only where it is needed.
            _ = try await with.route(model: "m")
            #expect(!daemon.logs.text.contains(token))
        }
    }
}
