import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import Testing

/// Client reports through the real daemon over its Unix socket.
@Suite(.timeLimit(.minutes(10))) struct ReportsTests {
    @Test func reportsAreValidatedPerItemAndFailuresEjectOnceAProbeConfirms() async throws {
        try await withTemporaryDirectory { directory in
            // Probes every 10 minutes: only reports can move these targets during the test.
            let yaml = """
                listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                probe: { interval: 10m, mode: liveness }
                providers:
                  - { name: a, kind: openai, base_url: "http://127.0.0.1:\(unusedLoopbackPort())/v1", price: { per_request: 0.01 }, models: [{ name: m }] }
                  - { name: b, kind: openai, base_url: "http://127.0.0.1:\(unusedLoopbackPort())/v1", models: [{ name: m }] }
                """
            let bound = Rendezvous<String>()
            let daemon = try buildServiceGroup(config: try ConfigLoader.parse(yaml: yaml, file: "reports.yaml"), options: DaemonOptions(
                stateDirOverride: directory, listenerEvents: .init(unixBound: { bound.set($0) }), shutdownSignals: [], logger: LogCapture().logger()
            ))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await daemon.run() }
                let socket = DaemonConnection(endpoint: .unixSocket(await bound.value()))
                let now = Date().timeIntervalSince1970

                // Reports at 10/s: a succeeds, b fails three times in 0.3 s.
                var items: [String] = []
                for index in 0..<3 {
                    let at = now - 1 + Double(index) * 0.1
                    items.append(#"{"provider":"a","model":"m","started_at":\#(at),"outcome":"ok","status":200,"ttft_ms":80,"total_ms":300,"tokens_in":100,"tokens_out":50}"#)
                    items.append(#"{"provider":"b","model":"m","started_at":\#(at),"outcome":"server_error","status":503,"total_ms":20}"#)
                }
                items.append(#"{"provider":"zzz","model":"m","started_at":\#(now),"outcome":"ok","total_ms":1}"#)
                items.append(#"{"provider":"a","model":"m","started_at":"not a time","outcome":"ok","total_ms":1}"#)
                items.append(#"{"provider":"a","model":"m","started_at":\#(now),"outcome":"ok","total_ms":"fast"}"#)
                let answer = try JSONSerialization.jsonObject(with: try await socket.post("/v1/reports", json: Data(#"{"reports":[\#(items.joined(separator: ","))]}"#.utf8))) as! [String: Any]
                #expect(answer["accepted"] as? Int == 6)
                #expect(answer["rejected"] as? Int == 3)
                let results = answer["results"] as! [[String: Any]]
                #expect(results.compactMap { $0["reason"] as? String } == ["unknown_target", "bad_time", "missing_field"])

                // One caller's reports wait for the probe they start at once (b's port refuses): then b is out.
                let ejected = try await eventually(within: 5) {
                    String(decoding: try await socket.get("/v1/providers/b"), as: UTF8.self).contains(#""state":"ejected""#)
                }
                #expect(ejected)
                let route = try await SwitchyardClient(endpoint: socket.endpoint).route(model: "m")
                #expect(route.candidates.map(\.provider) == ["a"])

                // Bad bodies: JSON errors with the right status.
                await #expect(throws: ClientError.self) { try await socket.post("/v1/reports", json: Data("not json".utf8)) }
                do {
                    _ = try await socket.post("/v1/reports", json: Data(repeating: 0x20, count: 2 << 20))
                    Issue.record("an oversized body was accepted")
                } catch ClientError.daemon(let status, let code, _) {
                    #expect(status == 413)
                    #expect(code == "body_too_large")
                }

                await daemon.serviceGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let stored = try daemon.store.observations(of: Target(provider: ProviderID("a"), model: ModelName("m")))
            #expect(stored.filter { $0.source == .report }.count == 3)
            #expect(stored.first?.costUSD == 0.01)
        }
    }
}
