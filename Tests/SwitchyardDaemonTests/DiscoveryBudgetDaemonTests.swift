import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// A real daemon discovering a router catalog on 127.0.0.1 with a probe budget on the discovering
/// provider: the budget is one pool, shown under that provider's name.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DiscoveryBudgetDaemonTests {
    @Test func theDiscoveringProvidersBudgetIsOnePoolShownUnderItsName() async throws {
        let simulator = ProviderSimulator(name: "router", behavior: SimulatorBehavior(models: [], latencyMs: 1))
        simulator.setCatalog(.generated(models: 2, providers: 3))
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let yaml = """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 10m, mode: completion }
                    providers:
                      - name: hf
                        kind: hf-router
                        base_url: http://127.0.0.1:\(ports["router"]!)/v1
                        api_key_env: HF_TOKEN
                        budget: { probe_usd_per_day: 0.5 }
                        discover: {}
                    """
                try await withDiscoveryDaemon(yaml: yaml, directory: directory, clock: ManualClock(),
                                              environment: ["HF_TOKEN": "hf_budgetdaemontoken0123456789"]) { daemon, socket in
                    #expect(try await eventually(within: 30) { daemon.targetNames.count == 6 })
                    #expect(try await eventually(within: 30) {
                        try await socket.text("/metrics").contains(#"switchyard_probe_budget_remaining_usd{provider="hf"} 0.5"#)
                    }, "the pool's gauge is the discovering provider's")
                    let metrics = try await socket.text("/metrics")
                    #expect(metrics.components(separatedBy: "switchyard_probe_budget_remaining_usd{provider=").count == 2, "no partner has a budget of its own")
                    #expect(await daemon.scheduler.budgetStatus().map(\.provider.rawValue) == ["hf"])
                    let shared = try #require(await daemon.scheduler.budgetStatus().first?.sharedBy.map(\.rawValue))
                    #expect(shared.count == 3 && !shared.contains("hf"), "the three partner providers")

                    let body = try await socket.get("/v1/providers")
                    let list = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
                    let providers = try #require(list["providers"] as? [[String: Any]])
                    #expect(providers.count == 3)
                    for provider in providers {
                        let budget = try #require(provider["probe_budget"] as? [String: Any], "\(provider["name"] ?? "?") shows the shared budget")
                        #expect(budget["limit_usd"] as? Double == 0.5)
                    }
                }
            }
        }
    }
}
