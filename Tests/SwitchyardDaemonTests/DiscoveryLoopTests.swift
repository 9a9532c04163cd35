import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// The discovery loop against reloads, failures and readiness, on a real daemon and the simulator
/// on 127.0.0.1, with refreshes on a manual clock: filters widened by a reload, providers added
/// and removed by one, failed reads retried with backoff, readiness waiting for the first read.
@Suite(.serialized, .timeLimit(.minutes(10))) struct DiscoveryLoopTests {
    private static let token = ["HF_TOKEN": "hf_discoverytesttoken0123456789"]

    private static func yaml(_ directory: String, providers: String, probe: String = "probe: { interval: 10m }") -> String {
        """
        listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
        \(probe)
        providers:
        \(providers)
        """
    }

    private static func router(_ port: Int, discover: String = "{}") -> String {
        "  - { name: hf, kind: hf-router, base_url: \"http://127.0.0.1:\(port)/v1\", api_key_env: HF_TOKEN, discover: \(discover) }"
    }

    private static func readyz(_ directory: String) async throws -> String {
        try await RawHTTP.exchange(.unix(path: directory + "/switchyard.sock"), "GET", "/readyz").body
    }

    @Test func aReloadThatWidensTheFiltersTakesEffectAtOnceAndAfterARestartWithoutNetwork() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        simulator.setCatalog(.generated(models: 3, providers: 3))
        try await withTemporaryDirectory { directory in
            let port = try await SimulatorFleet([simulator]).withRunning { ports in
                let narrow = Self.yaml(directory, providers: Self.router(ports["router"]!, discover: "{ models: [sim-org-0/*], max_targets: 2 }"))
                try await withDiscoveryDaemon(yaml: narrow, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 2 })
                    let reads = simulator.recordedListReads.count
                    try Self.yaml(directory, providers: Self.router(ports["router"]!)).write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
                    #expect(await daemon.reload(caller: "test").succeeded)
                    #expect(daemon.targetNames.count == 9, "widened from the kept catalog, without a new read")
                    #expect(simulator.recordedListReads.count == reads)
                }
                return ports["router"]!
            }
            // The router is gone (nothing listens on its port now); the stored catalog still holds every entry.
            let wide = Self.yaml(directory, providers: Self.router(port), probe: "probe: { interval: 10m, connect_timeout: 500ms, timeout: 1s }")
            try await withDiscoveryDaemon(yaml: wide, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                #expect(daemon.targetNames.count == 9)
            }
        }
    }

    @Test func aCatalogReadAtAnotherBaseURLIsNeitherRestoredNorKeptByAReload() async throws {
        let first = ProviderSimulator(name: "first", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        first.setCatalog(.generated(models: 2, providers: 1))
        let second = ProviderSimulator(name: "second", behavior: SimulatorBehavior(models: [], latencyMs: 1, fault: .unauthorized))
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([first, second]).withRunning { ports in
                let yaml = Self.yaml(directory, providers: Self.router(ports["first"]!))
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 2 })
                    // The same name, another endpoint (whose catalog cannot be read): the first one's targets go.
                    try Self.yaml(directory, providers: Self.router(ports["second"]!)).write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
                    #expect(await daemon.reload(caller: "test").succeeded)
                    #expect(daemon.targetNames.isEmpty, "\(daemon.targetNames)")
                }
                // A restart at the other endpoint does not restore the first one's stored catalog.
                let moved = Self.yaml(directory, providers: Self.router(ports["second"]!))
                try await withDiscoveryDaemon(yaml: moved, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                    #expect(daemon.targetNames.isEmpty, "\(daemon.targetNames)")
                }
                // Back at the first endpoint (unreadable now too), the stored catalog is its own again.
                first.setBehavior(SimulatorBehavior(models: [], latencyMs: 1, fault: .unauthorized))
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                    #expect(daemon.targetNames.count == 2)
                }
            }
        }
    }

    @Test func aReloadThatAddsADiscoveringProviderReadsItsCatalogWithoutWaitingForTheTimer() async throws {
        let router = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        router.setCatalog(.generated(models: 1, providers: 1))
        let ollama = ProviderSimulator(name: "ollama", behavior: SimulatorBehavior(models: ["llama3.1:8b"], latencyMs: 1))
        let clock = ManualClock()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([router, ollama]).withRunning { ports in
                let before = Self.yaml(directory, providers: Self.router(ports["router"]!))
                try await withDiscoveryDaemon(yaml: before, directory: directory, clock: clock, environment: Self.token) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 1 })
                    await clock.waitForSleepers(1)
                    let after = Self.yaml(directory, providers: Self.router(ports["router"]!) + """

                          - { name: local, kind: ollama, base_url: "http://127.0.0.1:\(ports["ollama"]!)", discover: {} }
                        """)
                    try after.write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
                    #expect(await daemon.reload(caller: "test").succeeded)
                    #expect(try await eventually(within: 30) { daemon.targetNames.contains("local/llama3.1:8b") }, "\(daemon.targetNames)")
                    #expect(clock.now == clock.zero, "no time passed on the discovery clock")
                }
            }
        }
    }

    @Test func aFailedReadIsRetriedAfter15SecondsDoublingAndLoggedOnce() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1, fault: .unauthorized))
        simulator.setCatalog(.generated(models: 2, providers: 1))
        let clock = ManualClock()
        let logs = LogCapture()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.yaml(directory, providers: Self.router(ports["router"]!))
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: clock, environment: Self.token, logs: logs) { daemon, _ async throws in
                    await clock.waitForSleepers(1)
                    #expect(clock.sleepers == [clock.zero.advanced(by: .seconds(15))])
                    clock.advance(by: .seconds(15))
                    #expect(try await eventually(within: 30) { clock.sleepers == [clock.zero.advanced(by: .seconds(45))] }, "\(clock.sleepers)")
                    #expect(simulator.recordedListReads.count == 2)
                    #expect(logs.lines(containing: "cannot read the catalog").count == 1, "logged when it starts, not at every retry")
                    #expect(logs.lines(containing: "none was read yet").count == 1)
                    #expect(logs.lines(containing: "keeping the last good one").isEmpty, "there is none to keep")
                    simulator.setBehavior(SimulatorBehavior(models: [], latencyMs: 1))
                    clock.advance(by: .seconds(30))
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 2 })
                    #expect(try await eventually(within: 30) { clock.sleepers == [clock.zero.advanced(by: .seconds(645))] }, "\(clock.sleepers)")
                }
            }
        }
    }

    @Test func aCutIsAnnouncedWhenItChangesNotAtEveryRefresh() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        simulator.setCatalog(.generated(models: 5, providers: 1))
        let clock = ManualClock()
        let logs = LogCapture()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.yaml(directory, providers: Self.router(ports["router"]!, discover: "{ max_targets: 2 }"))
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: clock, environment: Self.token, logs: logs) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 2 })
                    await clock.waitForSleepers(1)
                    clock.advance(by: .seconds(600))
                    #expect(try await eventually(within: 30) { simulator.recordedListReads.count == 2 && clock.sleeperCount == 1 })
                    #expect(logs.lines(containing: "more than discover.max_targets").count == 1, "the same cut again is not announced")
                    simulator.setCatalog(.generated(models: 6, providers: 1))
                    clock.advance(by: .seconds(600))
                    #expect(try await eventually(within: 30) { logs.lines(containing: "more than discover.max_targets").count == 2 })
                    #expect(logs.lines(containing: "left out 4").count == 1)
                }
            }
        }
    }

    @Test func notReadyUntilTheFirstCatalogReadFinishes() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1, fault: .hang))
        simulator.setCatalog(.generated(models: 2, providers: 1))
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.yaml(directory, providers: Self.router(ports["router"]!), probe: "probe: { interval: 10m, timeout: 60s }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) { daemon.readiness.current.firstProbeRoundDone && !simulator.recordedListReads.isEmpty })
                    #expect(!daemon.readiness.current.isReady, "no target exists yet")
                    #expect(try await Self.readyz(directory).contains("hf: first catalog read running"))
                }
            }
        }
    }

    @Test func aReloadThatRemovesADiscoveringProviderClearsItsProblemAndSeries() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: ["m"], latencyMs: 1, fault: .unauthorized))
        let clock = ManualClock()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let plain = "  - { name: plain, kind: openai, base_url: \"http://127.0.0.1:\(ports["router"]!)/v1\", models: [{ name: m }] }"
                let yaml = Self.yaml(directory, providers: Self.router(ports["router"]!) + "\n" + plain)
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: clock, environment: Self.token) { daemon, socket async throws in
                    #expect(try await eventually(within: 30) { try await Self.readyz(directory).contains("discovery_problem") })
                    #expect(try await socket.text("/metrics").contains(#"switchyard_discovery_refreshes_total{provider="hf""#))
                    try Self.yaml(directory, providers: plain).write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
                    #expect(await daemon.reload(caller: "test").succeeded)
                    #expect(try await eventually(within: 30) { try await !Self.readyz(directory).contains("discovery_problem") })
                    #expect(try await !socket.text("/metrics").contains(#"provider="hf""#))
                }
            }
        }
    }

    @Test func aCatalogThatCannotBeAppliedNamesTheProviderWhoseKeyFailed() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: ["m"], latencyMs: 1))
        simulator.setCatalog(.generated(models: 1, providers: 1))
        let clock = ManualClock()
        try await withTemporaryDirectory { directory in
            let keyFile = directory + "/other.key"
            try "sk-otherkey0123456789".write(toFile: keyFile, atomically: true, encoding: .utf8)
            try await SimulatorFleet([simulator]).withRunning { ports in
                let other = "  - { name: other, kind: openai, base_url: \"http://127.0.0.1:\(ports["router"]!)/v1\", api_key_file: \"\(keyFile)\", models: [{ name: m }] }"
                let yaml = Self.yaml(directory, providers: Self.router(ports["router"]!) + "\n" + other)
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: clock, environment: Self.token) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 2 })
                    await clock.waitForSleepers(1)
                    try FileManager.default.removeItem(atPath: keyFile)
                    clock.advance(by: .seconds(600))
                    #expect(try await eventually(within: 30) {
                        try await Self.readyz(directory).contains("hf: auth: the catalog cannot be applied: the key of provider 'other' cannot be resolved")
                    })
                }
            }
        }
    }
}
