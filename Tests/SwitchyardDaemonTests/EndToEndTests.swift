import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardServer
import SwitchyardSimulator
import Testing

/// The whole daemon — config, libcurl probes, health, SQLite, both listeners — against
/// simulated providers on loopback, observed only from the outside.
// Serialized: these tests call the synchronous client (blocking libcurl) from async code; two at once can
// occupy both cooperative threads of a 2-core machine and starve the daemon under test (5 s stalls, hangs).
@Suite(.serialized, .timeLimit(.minutes(10))) struct EndToEndTests {
    @Test func routeRanksTheFasterHealthyProviderFirstAndDropsADeadOne() async throws {
        let token = "sk-switchyard-test-\(UUID().uuidString)"
        let fleet = SimulatorFleet([
            ProviderSimulator(name: "fast", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 5)),
            ProviderSimulator(name: "slow", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 80)),
        ])
        let deadPort = unusedLoopbackPort()
        let logs = LogCapture()

        try await withTemporaryDirectory { directory in
            try await fleet.withRunning { ports in
                let yaml = """
                    listen: { tcp: "127.0.0.1:0", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 200ms, timeout: 1s, connect_timeout: 500ms, mode: completion }
                    providers:
                      - { name: slow, kind: openai, base_url: "http://127.0.0.1:\(ports["slow"]!)/v1", api_key_env: SY_TEST_TOKEN,
                          price: { input_per_mtok: 0.1, output_per_mtok: 0.2 }, models: [{ name: m, upstream: m-up }] }
                      - { name: dead, kind: openai, base_url: "http://127.0.0.1:\(deadPort)/v1", api_key_env: SY_TEST_TOKEN,
                          models: [{ name: m, upstream: m-up }] }
                      - { name: fast, kind: openai, base_url: "http://127.0.0.1:\(ports["fast"]!)/v1", api_key_env: SY_TEST_TOKEN,
                          models: [{ name: m, upstream: m-up }] }
                    """
                let config = try ConfigLoader.parse(yaml: yaml, file: "e2e.yaml")
                let tcpPort = Rendezvous<Int>()
                let daemon = try buildServiceGroup(config: config, options: DaemonOptions(
                    stateDirOverride: directory, environment: ["SY_TEST_TOKEN": token],
                    listenerEvents: .init(tcpBound: { tcpPort.set($0) }), shutdownSignals: [], logger: logs.logger()
                ))
                var responses: [String] = []
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let unix = DaemonConnection(endpoint: .unixSocket("\(directory)/switchyard.sock"))
                    let tcp = DaemonConnection(endpoint: .url("http://127.0.0.1:\(await tcpPort.value())"))

                    let settled = try await eventually(within: 20) {
                        let route = try await SwitchyardClient(endpoint: unix.endpoint).route(model: "m")
                        return route.candidates.map(\.provider) == ["fast", "slow"]
                            && route.candidates.allSatisfy { $0.state == .healthy && $0.latencyP50Ms != nil }
                    }
                    #expect(settled, "route never became [fast, slow]")

                    let routeJSON = try await unix.get("/v1/route?model=m")
                    let route = try JSONDecoder().decode(RouteAnswer.self, from: routeJSON)
                    #expect(route.panic == false)
                    #expect(route.candidates.first?.upstreamModel == "m-up")
                    #expect(route.candidates.first?.baseURL == "http://127.0.0.1:\(ports["fast"]!)/v1")
                    let viaTCP = try JSONDecoder().decode(RouteAnswer.self, from: try await tcp.get("/v1/route?model=m"))
                    #expect(viaTCP.candidates.map(\.provider) == route.candidates.map(\.provider))

                    let providers = String(decoding: try await unix.get("/v1/providers"), as: UTF8.self)
                    #expect(providers.contains(#""last_error":"connect_refused""#))
                    #expect(providers.contains(#""state":"ejected""#))
                    let metrics = String(decoding: try await tcp.get("/metrics"), as: UTF8.self)
                    #expect(metrics.contains(#"switchyard_probe_results_total{provider="dead",model="m",outcome="connect_refused"}"#))
                    #expect(metrics.contains(#"switchyard_target_state{provider="dead",model="m",state="ejected"} 1"#))
                    let ready = String(decoding: try await unix.get("/readyz"), as: UTF8.self)
                    #expect(ready.contains(#""ready":true"#))

                    await #expect(throws: ClientError.self) { try await unix.get("/v1/route?model=nope") }
                    await #expect(throws: ClientError.self) { try await unix.get("/v1/route?model=m&strategy=random") }
                    responses = [routeJSON, try await unix.get("/v1/providers"), try await tcp.get("/metrics"), try await unix.get("/readyz"), try await unix.get("/healthz")]
                        .map { String(decoding: $0, as: UTF8.self) }

                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }

                // Graceful shutdown flushed the writer: every observation the daemon made is in SQLite.
                let observed = daemon.healthBook.snapshots().map { ($0.descriptor.target, $0.stats.samples) }
                for (target, samples) in observed {
                    let stored = try daemon.store.observations(of: target).count
                    #expect(stored == samples, "\(target)")
                    #expect(samples >= 1, "\(target)")
                }
                #expect(try daemon.store.transitions().contains { $0.target.provider == ProviderID("dead") && $0.to == .ejected })

                // The secret grep over everything the daemon and both clients emit is SecretLeakTests.
                #expect(!logs.text.isEmpty)
                for response in responses { #expect(!response.contains(token)) }
            }
        }
    }

    @Test func aSecondDaemonOnTheSameSocketIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let yaml = """
                listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:\(unusedLoopbackPort())/v1", models: [{ name: m }] }]
                """
            let config = try ConfigLoader.parse(yaml: yaml, file: "socket.yaml")
            let bound = Rendezvous<String>()
            let first = try buildServiceGroup(config: config, options: DaemonOptions(
                stateDirOverride: directory, listenerEvents: .init(unixBound: { bound.set($0) }), shutdownSignals: [], logger: LogCapture().logger()
            ))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await first.run() }
                _ = await bound.value()
                var attributes = try FileManager.default.attributesOfItem(atPath: "\(directory)/switchyard.sock")
                #expect((attributes[.posixPermissions] as? Int) == 0o660)
                let error = #expect(throws: StartupError.self) {
                    try buildServiceGroup(config: config, options: DaemonOptions(stateDirOverride: directory + "/second", shutdownSignals: [], logger: LogCapture().logger()))
                }
                #expect(error?.description.contains("another process is serving on \(directory)/switchyard.sock") == true)
                attributes = [:]
                await first.serviceGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test func aSocketPathThatIsNotASocketIsRefusedAndLeftAlone() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: "\(directory)/precious", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(directory)/precious/data", contents: Data("keep".utf8))
            let yaml = """
                listen: { tcp: "", unix: "\(directory)/precious" }
                providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:\(unusedLoopbackPort())/v1", models: [{ name: m }] }]
                """
            let error = #expect(throws: StartupError.self) {
                try buildServiceGroup(config: try ConfigLoader.parse(yaml: yaml, file: "dir.yaml"), options: DaemonOptions(
                    stateDirOverride: directory + "/state", shutdownSignals: [], logger: LogCapture().logger()))
            }
            #expect(error?.description.contains("is not a socket") == true)
            #expect(FileManager.default.contents(atPath: "\(directory)/precious/data") == Data("keep".utf8))
        }
    }

    @Test func aStaleSocketFileIsReplaced() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/switchyard.sock"
            makeStaleSocket(at: path)  // what a daemon killed with -9 leaves behind
            let yaml = """
                listen: { tcp: "", unix: "\(path)" }
                providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:\(unusedLoopbackPort())/v1", models: [{ name: m }] }]
                """
            let bound = Rendezvous<String>()
            let daemon = try buildServiceGroup(config: try ConfigLoader.parse(yaml: yaml, file: "stale.yaml"), options: DaemonOptions(
                stateDirOverride: directory, listenerEvents: .init(unixBound: { bound.set($0) }), shutdownSignals: [], logger: LogCapture().logger()
            ))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await daemon.run() }
                _ = await bound.value()
                let health = try await DaemonConnection(endpoint: .unixSocket(path)).get("/healthz")
                #expect(String(decoding: health, as: UTF8.self) == #"{"status":"ok"}"#)
                await daemon.serviceGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
