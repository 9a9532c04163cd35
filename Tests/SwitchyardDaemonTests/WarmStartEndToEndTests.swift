import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// Restarting the daemon does not forget: the second daemon knows, before its first probe,
/// what the first one learned; history and events are served from the same database.
@Suite(.timeLimit(.minutes(10))) struct WarmStartEndToEndTests {
    @Test func anEjectedTargetStaysEjectedAcrossARestartAndHistoryIsServed() async throws {
        let fleet = SimulatorFleet([ProviderSimulator(name: "up", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 5))])
        let deadPort = unusedLoopbackPort()
        try await withTemporaryDirectory { directory in
            try await fleet.withRunning { ports in
                let socket = "\(directory)/switchyard.sock"
                func config(interval: String) throws -> Configuration {
                    try ConfigLoader.parse(yaml: """
                        listen: { tcp: "", unix: "\(socket)" }
                        probe: { interval: \(interval), timeout: 1s, connect_timeout: 500ms }
                        providers:
                          - { name: dead, kind: openai, base_url: "http://127.0.0.1:\(deadPort)/v1", models: [{ name: m, upstream: m-up }] }
                          - { name: up, kind: openai, base_url: "http://127.0.0.1:\(ports["up"]!)/v1", models: [{ name: m, upstream: m-up }] }
                        """, file: "warm.yaml")
                }
                let dead = Target(provider: ProviderID("dead"), model: ModelName("m"))

                // First life: learn that `dead` is dead.
                let first = try buildServiceGroup(config: try config(interval: "100ms"), options: DaemonOptions(
                    stateDirOverride: directory, shutdownSignals: [], logger: LogCapture().logger()))
                #expect(first.readiness.current.warmStarted == false)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await first.run() }
                    let ejected = try await eventuallyOffPool(within: 20) {
                        first.healthBook.snapshots().contains { $0.descriptor.target == dead && $0.health.state == .ejected }
                            && first.healthBook.snapshots().contains { $0.descriptor.target.provider == ProviderID("up") && $0.stats.samples >= 3 }
                    }
                    #expect(ejected)
                    await first.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }

                // Second life, before any probe: the state is back and the route is meaningful.
                let second = try buildServiceGroup(config: try config(interval: "1h"), options: DaemonOptions(
                    stateDirOverride: directory, shutdownSignals: [], logger: LogCapture().logger()))
                let states = Dictionary(uniqueKeysWithValues: second.healthBook.snapshots().map { ($0.descriptor.target.provider.rawValue, $0) })
                #expect(states["dead"]?.health.state == .ejected)
                #expect(states["up"]?.health.state == .healthy)
                #expect((states["up"]?.stats.total.p50 ?? 0) > 0)
                #expect(second.readiness.current.isReady)
                #expect(second.readiness.current.firstProbeRoundDone == false)
                guard case .route(let route) = second.healthBook.route(RouteQuery(model: ModelName("m")), now: SystemWallClock().now()) else {
                    Issue.record("no route")
                    return
                }
                #expect(route.candidates.first?.provider == ProviderID("up"))
                #expect(route.panic == false)

                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await second.run() }
                    let connection = DaemonConnection(endpoint: .unixSocket(socket))
                    #expect(try await eventually(within: 10) { (try? await connection.get("/healthz")) != nil })
                    let ready = String(decoding: try await connection.get("/readyz"), as: UTF8.self)
                    #expect(ready.contains(#""warm_started":true"#))
                    #expect(ready.contains(#""ready":true"#))

                    let history = try JSONSerialization.jsonObject(with: try await connection.get("/v1/history?provider=up&step=1m")) as? [String: Any]
                    let series = try #require(history?["series"] as? [[String: Any]])
                    #expect(series.first?["model"] as? String == "m")
                    let points = try #require(series.first?["points"] as? [[String: Any]])
                    #expect(points.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } >= 3)
                    #expect((points.first?["latency_ms"] as? [String: Double])?["p99"] != nil)
                    let since = Int(Date().timeIntervalSince1970) - 600
                    let deadHistory = String(decoding: try await connection.get("/v1/history?provider=dead&since=\(since)"), as: UTF8.self)
                    #expect(deadHistory.contains(#""connect_refused":"#))

                    let events = String(decoding: try await connection.get("/v1/events?limit=50"), as: UTF8.self)
                    #expect(events.contains(#""to":"ejected""#))
                    #expect(events.contains("consecutive failures"))

                    for (query, parameter) in [("step=5m", "step"), ("since=yesterday", "since"), ("since=2000&until=1000", "since"),
                                               ("step=1m&since=0", "step"), ("color=red", "color")] {
                        let answer: Result<Data, ClientError>
                        do { answer = .success(try await connection.get("/v1/history?\(query)")) } catch let error as ClientError { answer = .failure(error) }
                        guard case .failure(.daemon(let status, let code, let message)) = answer else { Issue.record("\(query): \(answer)"); continue }
                        #expect(status == 400)
                        #expect(code == "bad_parameter")
                        #expect(message.hasPrefix("\(parameter):"), "\(query): \(message)")
                    }
                    for path in ["/v1/events?limit=0", "/v1/history?provider=nobody"] {
                        let failed = (try? await connection.get(path)) == nil
                        #expect(failed, "\(path) was accepted")
                    }
                    await second.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
    }
}
