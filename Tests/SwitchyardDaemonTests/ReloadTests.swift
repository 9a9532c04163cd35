import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// Configuration reload on a running daemon (what SIGHUP and `POST /v1/admin/reload` do):
/// kept targets keep their state and statistics, removed ones stop being probed, added
/// ones start; a broken file is refused and the old configuration keeps running.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ReloadTests {
    private func yaml(directory: String, providers: [(name: String, port: Int)]) -> String {
        """
        listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
        probe: { interval: 200ms, timeout: 1s, mode: liveness }
        providers:
        \(providers.map { "  - { name: \($0.name), kind: openai, base_url: \"http://127.0.0.1:\($0.port)/v1\", models: [{ name: m }] }" }.joined(separator: "\n"))
        """
    }

    @Test func reloadKeepsStayingTargetsStopsRemovedOnesStartsAddedOnes() async throws {
        let simulators = ["kept", "removed", "added"].map { ProviderSimulator(name: $0, behavior: SimulatorBehavior(models: ["m"], latencyMs: 2)) }
        let logs = LogCapture()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet(simulators).withRunning { ports in
                let path = directory + "/switchyard.yaml"
                try yaml(directory: directory, providers: [("kept", ports["kept"]!), ("removed", ports["removed"]!)])
                    .write(toFile: path, atomically: true, encoding: .utf8)
                let daemon = try buildServiceGroup(config: try ConfigLoader.load(path: path), options: DaemonOptions(
                    stateDirOverride: directory, shutdownSignals: [], logger: logs.logger(),
                    reloadConfiguration: { try ConfigLoader.load(path: path) }, reloadOnHangup: false
                ))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let socket = DaemonConnection(endpoint: .unixSocket(directory + "/switchyard.sock"))
                    #expect(try await eventually(within: 20) {
                        daemon.healthBook.snapshots().allSatisfy { $0.health.state == .healthy }
                    })
                    let keptBefore = try #require(daemon.healthBook.snapshots().first { $0.descriptor.target.provider.rawValue == "kept" })

                    try yaml(directory: directory, providers: [("kept", ports["kept"]!), ("added", ports["added"]!)])
                        .write(toFile: path, atomically: true, encoding: .utf8)
                    let outcome = await daemon.reload(caller: "test")
                    #expect(outcome.succeeded, "\(outcome.message)")
                    #expect((outcome.added, outcome.removed, outcome.kept) == (1, 1, 1), "\(outcome.message)")

                    // The kept target did not start over: same state, statistics carried on.
                    let keptAfter = try #require(daemon.healthBook.snapshots().first { $0.descriptor.target.provider.rawValue == "kept" })
                    #expect(keptAfter.health.state == .healthy)
                    #expect(keptAfter.stats.samples >= keptBefore.stats.samples)
                    // The added one is probed and becomes routable; the removed one is gone and left alone.
                    #expect(try await eventually(within: 20) {
                        daemon.healthBook.snapshots().map(\.descriptor.target.provider.rawValue) == ["added", "kept"]
                            && daemon.healthBook.snapshots().allSatisfy { $0.health.state == .healthy }
                    })
                    // That the removed target is never probed again, and that the kept one keeps its
                    // instants, is shown exactly on a manual clock by ProbeSchedulerReloadTests; here the
                    // scheduler's answer says what it dropped.
                    #expect(simulators[2].requestCount > 0)

                    let metrics = String(decoding: try await socket.get("/metrics"), as: UTF8.self)
                    #expect(metrics.contains(#"switchyard_target_state{provider="added",model="m",state="healthy"} 1"#))
                    #expect(!metrics.contains(#"provider="removed""#), "the removed target's series remain")
                    #expect(metrics.contains(#"switchyard_config_reloads_total{result="success"} 1"#))
                    let events = String(decoding: try await socket.get("/v1/events"), as: UTF8.self)
                    #expect(try await eventually(within: 5) {
                        String(decoding: try await socket.get("/v1/events"), as: UTF8.self).contains(#""kind":"reload","#)
                    }, "\(events)")

                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
    }

    @Test func aBrokenFileIsRefusedAndTheOldConfigurationKeepsRunning() async throws {
        let simulator = ProviderSimulator(name: "p", behavior: SimulatorBehavior(models: ["m"], latencyMs: 2))
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let path = directory + "/switchyard.yaml"
                let good = yaml(directory: directory, providers: [("p", ports["p"]!)])
                try good.write(toFile: path, atomically: true, encoding: .utf8)
                let daemon = try buildServiceGroup(config: try ConfigLoader.load(path: path), options: DaemonOptions(
                    stateDirOverride: directory, shutdownSignals: [], reloadConfiguration: { try ConfigLoader.load(path: path) }, reloadOnHangup: false
                ))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let socket = DaemonConnection(endpoint: .unixSocket(directory + "/switchyard.sock"))
                    #expect(try await eventually(within: 20) { daemon.readiness.current.isReady })

                    // An unknown key on line 2, column 40.
                    try good.replacingOccurrences(of: "mode: liveness", with: "mode: liveness, intervall: 1s")
                        .write(toFile: path, atomically: true, encoding: .utf8)
                    let refused = await daemon.reload(caller: "uid:0")
                    #expect(!refused.succeeded)
                    #expect(refused.message.contains("switchyard.yaml:2:"), "\(refused.message)")
                    let ready = String(decoding: try await socket.get("/readyz"), as: UTF8.self)
                    #expect(ready.contains(#""reload_problem":""#) && ready.contains("intervall"), "\(ready)")
                    #expect(daemon.readiness.current.isReady, "a refused reload must not make the daemon unready")
                    #expect(daemon.healthBook.snapshots().map(\.descriptor.target.provider.rawValue) == ["p"])
                    let metrics = String(decoding: try await socket.get("/metrics"), as: UTF8.self)
                    #expect(metrics.contains("switchyard_config_last_reload_successful 0"))
                    #expect(metrics.contains(#"switchyard_config_reloads_total{result="failure"} 1"#))
                    #expect(try await eventually(within: 5) {
                        let events = String(decoding: try await socket.get("/v1/events"), as: UTF8.self)
                        return events.contains(#""kind":"reload_failed""#) && events.contains(#""caller":"uid:0""#)
                    })

                    // Fixing the file and reloading again clears the problem; routing settings apply at once.
                    try (good + "\nrouting: { stability_margin: 25% }\n").write(toFile: path, atomically: true, encoding: .utf8)
                    let fixed = await daemon.reload(caller: "uid:0")
                    #expect(fixed.succeeded && !fixed.message.contains("routing"), "\(fixed.message)")
                    #expect(daemon.healthBook.ranker.policy.stabilityMargin == 0.25)
                    #expect(daemon.readiness.current.reloadProblem == nil)
                    #expect(String(decoding: try await socket.get("/metrics"), as: UTF8.self).contains("switchyard_config_last_reload_successful 1"))

                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
    }

    @Test func reloadReResolvesClientTokensAndNeverEchoesAPastedKey() async throws {
        let simulator = ProviderSimulator(name: "p", behavior: SimulatorBehavior(models: ["m"], latencyMs: 2))
        let logs = LogCapture()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let path = directory + "/switchyard.yaml"
                let tokenPath = directory + "/c.token"
                let good = """
                    listen: { tcp: "127.0.0.1:0", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 200ms, timeout: 1s, mode: liveness }
                    clients: [{ name: c, token_file: "\(tokenPath)" }]
                    providers:
                      - { name: p, kind: openai, base_url: "http://127.0.0.1:\(ports["p"]!)/v1", models: [{ name: m }] }
                    """
                let first = "tok-one-\(UUID().uuidString)"
                let second = "tok-two-\(UUID().uuidString)"
                try first.write(toFile: tokenPath, atomically: true, encoding: .utf8)
                try good.write(toFile: path, atomically: true, encoding: .utf8)
                let tcpPort = Rendezvous<Int>()
                let daemon = try buildServiceGroup(config: try ConfigLoader.load(path: path), options: DaemonOptions(
                    stateDirOverride: directory, listenerEvents: .init(tcpBound: { tcpPort.set($0) }), shutdownSignals: [], logger: logs.logger(),
                    reloadConfiguration: { try ConfigLoader.load(path: path) }, reloadOnHangup: false
                ))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let tcp = RawHTTP.Address.tcp(port: await tcpPort.value())
                    let socket = DaemonConnection(endpoint: .unixSocket(directory + "/switchyard.sock"))
                    func post(_ token: String) async throws -> Int {
                        let now = Date().timeIntervalSince1970
                        return try await RawHTTP.exchange(tcp, "POST", "/v1/reports", headers: ["Authorization: Bearer \(token)"],
                                                          body: #"{"reports":[{"provider":"p","model":"m","started_at":\#(now - 1),"outcome":"ok","total_ms":5}]}"#).status
                    }
                    #expect(try await eventually(within: 20) { daemon.readiness.current.isReady })
                    #expect(try await post(first) == 200)
                    try second.write(toFile: tokenPath, atomically: true, encoding: .utf8)
                    #expect(await daemon.reload(caller: "uid:0").succeeded)
                    #expect(try await post(first) == 401, "the old token stops working at the reload")
                    #expect(try await post(second) == 200)

                    // A key pasted where a variable name belongs: refused, and echoed nowhere.
                    let pasted = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
                    try good.replacingOccurrences(of: "models: [{ name: m }] }", with: "api_key_env: \(pasted), models: [{ name: m }] }")
                        .write(toFile: path, atomically: true, encoding: .utf8)
                    let refused = await daemon.reload(caller: "uid:0")
                    #expect(!refused.succeeded)
                    #expect(refused.message.contains("holds what looks like a key or token itself"), "\(refused.message)")
                    let ready = String(decoding: try await socket.get("/readyz"), as: UTF8.self)
                    #expect(ready.contains("reload_problem"))
                    #expect(try await eventually(within: 5) {
                        String(decoding: try await socket.get("/v1/events"), as: UTF8.self).contains(#""kind":"reload_failed""#)
                    })
                    let events = String(decoding: try await socket.get("/v1/events"), as: UTF8.self)
                    for text in [refused.message, ready, events, logs.text] {
                        #expect(!text.contains("AbCdEfGhIj"))
                        #expect(!text.contains(first) && !text.contains(second))
                    }
                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
    }
}
