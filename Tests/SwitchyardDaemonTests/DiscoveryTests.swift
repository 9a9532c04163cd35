import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// Discovery on a real daemon against the simulator's catalog on 127.0.0.1: targets from the
/// router's catalog, refreshes applied like reloads (on a manual clock: exact), bad answers that
/// keep the last good catalog, the catalog kept in SQLite across a restart without network.
@Suite(.serialized, .timeLimit(.minutes(10))) struct DiscoveryTests {
    private static let token = ["HF_TOKEN": "hf_discoverytesttoken0123456789"]

    private static func routerYAML(directory: String, port: Int, discover: String = "{}", probe: String = "") -> String {
        """
        listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
        \(probe)
        providers:
          - name: hf
            kind: hf-router
            base_url: http://127.0.0.1:\(port)/v1
            api_key_env: HF_TOKEN
            discover: \(discover)
        """
    }

    @Test func aRouterCatalogOf50ModelsAt6ProvidersYields300RoutedTargetsWithPricesAndCapabilities() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        let catalog = SimulatorCatalog.generated(models: 50, providers: 6)
        simulator.setCatalog(catalog)
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.routerYAML(directory: directory, port: ports["router"]!, probe: "probe: { interval: 10m }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, socket in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 300 }, "\(daemon.targetNames.count) targets")
                    let descriptors = daemon.healthBook.snapshots().map(\.descriptor)
                    #expect(descriptors.allSatisfy { $0.origin == .discovered && $0.price?.inputPerMTok != nil && $0.price?.outputPerMTok != nil })
                    #expect(descriptors.allSatisfy { $0.capabilities.contextLength != nil && $0.capabilities.tools != nil && $0.published?.status == .live })
                    let llama = try #require(daemon.descriptor("together/sim-org-1/Model-0001-Instruct"))
                    #expect(llama.upstreamModel == "sim-org-1/Model-0001-Instruct:together")
                    #expect(llama.price == Price(inputPerMTok: 0.1 + Double((7 + 15) % 20) * 0.05, outputPerMTok: 2 * (0.1 + Double((7 + 15) % 20) * 0.05)))
                    // A route for every model, each with its six partners; the router's upstream ids are the names.
                    let client = SwitchyardClient(endpoint: socket.endpoint)
                    for model in catalog.models {
                        let route = try await client.route(model: model.id)
                        #expect(Set(route.candidates.map(\.provider)) == Set(model.offers.map { $0.provider }), "\(model.id)")
                    }
                    // The metrics are set once the catalog is applied (just after the health book has it).
                    #expect(try await eventually(within: 10) {
                        let metrics = try await socket.text("/metrics")
                        return metrics.contains(#"switchyard_discovery_targets{provider="hf"} 300"#)
                            && metrics.contains(#"switchyard_discovery_refreshes_total{provider="hf",result="success"} 1"#)
                    })
                    #expect(simulator.recordedListReads.contains { $0.header("Authorization") == "Bearer \(Self.token["HF_TOKEN"]!)" })
                }
            }
        }
    }

    @Test func aCatalogChangeIsAppliedWithinOneRefreshAndUnchangedTargetsKeepTheirState() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        simulator.setCatalog(.generated(models: 3, providers: 3))
        let clock = ManualClock()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.routerYAML(directory: directory, port: ports["router"]!, probe: "probe: { interval: 200ms, timeout: 2s, mode: liveness }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: clock, environment: Self.token) { daemon, socket in
                    #expect(try await eventually(within: 30) {
                        daemon.targetNames.count == 9 && daemon.healthBook.snapshots().allSatisfy { $0.health.state == .healthy }
                    })
                    await clock.waitForSleepers(1)
                    let kept = "groq/sim-org-0/Model-0000-Instruct"
                    let before = try #require(daemon.healthBook.snapshots().first { $0.descriptor.target.description == kept })

                    // A provider removed, a price doubled, a status turned error.
                    var catalog = SimulatorCatalog.generated(models: 3, providers: 3)
                    catalog.models[0].offers.removeAll { $0.provider == "fireworks-ai" }
                    catalog.models[1].offers[0].inputPrice! *= 2
                    catalog.models[1].offers[0].outputPrice! *= 2
                    catalog.models[2].offers[2].status = "error"
                    simulator.setCatalog(catalog)
                    let oldPrice = try #require(daemon.descriptor("cerebras/sim-org-1/Model-0001-Instruct")?.price)
                    clock.advance(by: .seconds(600))
                    await clock.waitForSleepers(1)  // the refresh finished and the next one waits

                    #expect(daemon.targetNames.count == 8 && !daemon.targetNames.contains("fireworks-ai/sim-org-0/Model-0000-Instruct"))
                    let doubled = try #require(daemon.descriptor("cerebras/sim-org-1/Model-0001-Instruct")?.price)
                    #expect(doubled == Price(inputPerMTok: oldPrice.inputPerMTok! * 2, outputPerMTok: oldPrice.outputPerMTok! * 2))
                    #expect(daemon.descriptor("groq/sim-org-2/Model-0002-Instruct")?.published?.status == .error)
                    let after = try #require(daemon.healthBook.snapshots().first { $0.descriptor.target.description == kept })
                    #expect(after.health.state == .healthy && after.stats.samples >= before.stats.samples, "the unchanged target kept its state")

                    #expect(try await eventually(within: 10) {
                        try await socket.text("/v1/events").components(separatedBy: #""kind":"discovery""#).count - 1 == 9 + 3
                    }, "9 added at start, then 3 changes")
                    let events = try await socket.text("/v1/events")
                    #expect(events.contains("fireworks-ai/sim-org-0/Model-0000-Instruct removed"), "\(events)")
                    #expect(events.contains("cerebras/sim-org-1/Model-0001-Instruct changed: price"))
                    #expect(events.contains("groq/sim-org-2/Model-0002-Instruct changed: status live → error"))
                    // The catalog's `error` degraded that target: a transition in the events like any other.
                    #expect(events.contains(#""provider":"groq""#) && events.contains(#""to":"degraded""#), "\(events)")
                }
            }
        }
    }

    @Test func garbageTruncatedAndEnormousCatalogsKeepTheLastGoodOneAndRoutesKeepBeingServed() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        simulator.setCatalog(.generated(models: 2, providers: 2))
        let clock = ManualClock()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.routerYAML(directory: directory, port: ports["router"]!, discover: "{ max_bytes: 65536 }", probe: "probe: { interval: 10m }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: clock, environment: Self.token) { daemon, socket in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 4 })
                    await clock.waitForSleepers(1)
                    let good = daemon.targetNames
                    for (fault, says) in [(SimulatorBehavior.Fault.garbage, "bad_response"), (.truncated, "bad_response"), (.oversized, "body_too_large")] {
                        simulator.setBehavior(SimulatorBehavior(models: [], latencyMs: 1, fault: fault, oversizeBytes: 1 << 20))
                        clock.advance(by: .seconds(600))
                        await clock.waitForSleepers(1)
                        let ready = try await RawHTTP.exchange(.unix(path: directory + "/switchyard.sock"), "GET", "/readyz").body
                        #expect(ready.contains(#""discovery_problem":"hf: \#(says)"#), "\(fault): \(ready)")
                        #expect(ready.contains("(the last good catalog stays in use)"), "\(fault): \(ready)")
                        #expect(daemon.targetNames == good, "\(fault): the last good catalog stays")
                        let route = try await SwitchyardClient(endpoint: socket.endpoint).route(model: "sim-org-0/Model-0000-Instruct")
                        #expect(route.candidates.count == 2, "\(fault): routes keep being served")
                    }
                    let metrics = try await socket.text("/metrics")
                    #expect(metrics.contains(#"switchyard_discovery_catalog_stale{provider="hf"} 1"#))
                    #expect(metrics.contains(#"switchyard_discovery_refreshes_total{provider="hf",result="failure"} 3"#))
                    #expect(try await eventually(within: 10) {
                        try await socket.text("/v1/events").components(separatedBy: #""kind":"discovery_failed""#).count - 1 == 3
                    }, "one event per new problem")

                    simulator.setBehavior(SimulatorBehavior(models: [], latencyMs: 1))
                    clock.advance(by: .seconds(600))
                    await clock.waitForSleepers(1)
                    let healed = try await RawHTTP.exchange(.unix(path: directory + "/switchyard.sock"), "GET", "/readyz").body
                    #expect(!healed.contains("discovery_problem"))
                    #expect(try await socket.text("/metrics").contains(#"switchyard_discovery_catalog_stale{provider="hf"} 0"#))
                }
            }
        }
    }

    @Test func aCatalogOf100000ModelsIsCutToMaxTargetsWithAWarningAndAnEvent() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        simulator.setCatalog(SimulatorCatalog(models: (0..<100_000).map { .init(id: "o/m\($0)", offers: [.init(provider: "p")]) }))
        let logs = LogCapture()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.routerYAML(directory: directory, port: ports["router"]!, discover: "{ max_targets: 25, max_bytes: 67108864 }",
                                           probe: "probe: { interval: 10m }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token, logs: logs) { daemon, socket async throws in
                    #expect(try await eventually(within: 120) { daemon.targetNames.count == 25 })
                    #expect(daemon.targetNames.contains("p/o/m0") && daemon.targetNames.contains("p/o/m24"))
                    let warning = "the catalog of 'hf' has 100000 targets that pass the filters, more than discover.max_targets (25): kept the first 25, left out 99975"
                    #expect(!logs.lines(containing: warning).isEmpty)
                    #expect(try await eventually(within: 10) { try await socket.text("/v1/events").contains(warning) })
                    #expect(try await eventually(within: 10) {
                        try await socket.text("/metrics").contains(#"switchyard_discovery_cut_targets{provider="hf"} 99975"#)
                    })
                }
            }
        }
    }

    /// Entries of tasks Switchyard does not route: counted per provider in a gauge, and an event
    /// (and a log line) when the count changes, not at every refresh.
    @Test func unroutedCatalogEntriesAreAGaugeAndAnEventWhenTheirCountChanges() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        @Sendable func catalog(segmenters: Int) -> SimulatorCatalog {
            SimulatorCatalog(models: [.init(id: "o/chat", offers: [.init(provider: "p")])]
                + (0..<segmenters).map { .init(id: "o/seg\($0)", offers: [.init(provider: "p")], task: "image-segmentation") })
        }
        simulator.setCatalog(catalog(segmenters: 1))
        let clock = ManualClock()
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.routerYAML(directory: directory, port: ports["router"]!, probe: "probe: { interval: 10m }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: clock, environment: Self.token) { daemon, socket in
                    #expect(try await eventually(within: 30) { daemon.targetNames == ["p/o/chat"] })
                    await clock.waitForSleepers(1)
                    let first = "the catalog of 'hf' lists 1 targets of tasks Switchyard does not route (before: 0); skipped them"
                    #expect(try await socket.text("/metrics").contains(#"switchyard_discovery_unrouted_targets{provider="hf"} 1"#))
                    #expect(try await eventually(within: 10) { try await socket.text("/v1/events").contains(first) })

                    clock.advance(by: .seconds(600))  // the same catalog: no new event
                    await clock.waitForSleepers(1)
                    simulator.setCatalog(catalog(segmenters: 3))
                    clock.advance(by: .seconds(600))
                    await clock.waitForSleepers(1)
                    #expect(try await socket.text("/metrics").contains(#"switchyard_discovery_unrouted_targets{provider="hf"} 3"#))
                    let changed = "the catalog of 'hf' lists 3 targets of tasks Switchyard does not route (before: 1); skipped them"
                    #expect(try await eventually(within: 10) { try await socket.text("/v1/events").contains(changed) })
                    let events = try await socket.text("/v1/events")
                    #expect(events.components(separatedBy: "targets of tasks Switchyard does not route").count - 1 == 2, "\(events)")
                    #expect(daemon.targetNames == ["p/o/chat"])
                }
            }
        }
    }

    @Test func aRestartWithoutNetworkStartsFromTheLastGoodCatalogAndSaysSo() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        simulator.setCatalog(.generated(models: 2, providers: 2))
        try await withTemporaryDirectory { directory in
            let port = try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.routerYAML(directory: directory, port: ports["router"]!, probe: "probe: { interval: 10m }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 4 })
                }
                return ports["router"]!
            }
            // The router is gone: nothing listens on its port now (the same base URL: the stored catalog is its own).
            let yaml = Self.routerYAML(directory: directory, port: port, probe: "probe: { interval: 10m, connect_timeout: 500ms, timeout: 1s }")
            try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, socket in
                #expect(daemon.targetNames.count == 4, "known before the first refresh, from the state database")
                #expect(try await eventually(within: 30) {
                    try await RawHTTP.exchange(.unix(path: directory + "/switchyard.sock"), "GET", "/readyz").body.contains(#""discovery_problem":"hf: connect_refused"#)
                })
                #expect(daemon.targetNames.count == 4)
                let route = try await SwitchyardClient(endpoint: socket.endpoint).route(model: "sim-org-1/Model-0001-Instruct")
                #expect(route.candidates.map(\.provider).sorted() == ["cerebras", "fireworks-ai"])
                #expect(try await socket.text("/metrics").contains(#"switchyard_discovery_catalog_stale{provider="hf"} 1"#))
            }
        }
    }

    @Test func aCatalogRefusedFromTheStartSaysNoTargetWasDiscovered() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1, fault: .unauthorized))
        simulator.setCatalog(.generated(models: 2, providers: 2))
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = Self.routerYAML(directory: directory, port: ports["router"]!, probe: "probe: { interval: 10m }")
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, _ async throws in
                    #expect(try await eventually(within: 30) {
                        try await RawHTTP.exchange(.unix(path: directory + "/switchyard.sock"), "GET", "/readyz").body
                            .contains("hf: auth: GET http://127.0.0.1:\(ports["router"]!)/v1/models: HTTP 401 (no catalog was read yet: no targets discovered)")
                    })
                    #expect(daemon.targetNames.isEmpty)
                }
            }
        }
    }

    @Test func anAliasLetsALocalAndARouterTargetOfTheSameHubModelShareARoute() async throws {
        let ollama = ProviderSimulator(name: "ollama", behavior: SimulatorBehavior(models: ["llama3.1:8b"], latencyMs: 1))
        let router = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        router.setCatalog(SimulatorCatalog(models: [.init(id: "meta-llama/Llama-3.1-8B-Instruct", offers: [.init(provider: "together")])]))
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([ollama, router]).withRunning { ports in
                let yaml = """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 10m, mode: liveness }
                    aliases: { llama-3.1-8b: ["llama3.1:8b", meta-llama/Llama-3.1-8B-Instruct] }
                    providers:
                      - { name: local, kind: ollama, base_url: "http://127.0.0.1:\(ports["ollama"]!)", discover: {} }
                      - { name: hf, kind: hf-router, base_url: "http://127.0.0.1:\(ports["router"]!)/v1", api_key_env: HF_TOKEN, discover: {} }
                    """
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(), environment: Self.token) { daemon, socket async throws in
                    let client = SwitchyardClient(endpoint: socket.endpoint)
                    #expect(try await eventually(within: 30) {
                        let route = try? await client.route(model: "llama-3.1-8b")
                        return Set(route?.candidates.map(\.provider) ?? []) == ["local", "together"]
                    }, "\(daemon.targetNames.sorted())")
                    let route = try await client.route(model: "llama-3.1-8b")
                    #expect(Set(route.candidates.map(\.upstreamModel)) == ["llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct:together"])
                }
            }
        }
    }

    @Test func theEmbeddedDefaultRoutesEveryModelAFreshHostsOllamaServes() async throws {
        let ollama = ProviderSimulator(name: "ollama", behavior: SimulatorBehavior(models: ["llama3.1:8b", "qwen2.5:7b", "phi4"], latencyMs: 1))
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([ollama]).withRunning { ports in
                // No config file: the embedded default, with Ollama where OLLAMA_HOST says (as Ollama itself reads it).
                var config = try EmbeddedDefault.configuration(environment: ["OLLAMA_HOST": "127.0.0.1:\(ports["ollama"]!)"])
                config.listen = ListenSettings(tcp: nil, unix: .path(directory + "/switchyard.sock"))
                var options = DaemonOptions(stateDirOverride: directory, environment: [:], shutdownSignals: [], reloadOnHangup: false)
                options.discoveryClock = ManualClock()
                let daemon = try buildServiceGroup(config: config, options: options)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let client = SwitchyardClient(endpoint: .unixSocket(directory + "/switchyard.sock"))
                    let routed = try await eventually(within: 30) {
                        var healthy = 0
                        for model in ["llama-3.1-8b", "qwen2.5:7b", "phi4"] {
                            guard let route = try? await client.route(model: model) else { return false }
                            healthy += route.candidates.filter { $0.provider == "local-ollama" && $0.state == .healthy }.count
                        }
                        return healthy == 3
                    }
                    #expect(routed, "\(daemon.targetNames.sorted())")
                    #expect(daemon.descriptor("local-ollama/llama-3.1-8b")?.upstreamModel == "llama3.1:8b", "the alias meets the other servers' Llama")
                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
    }
}
