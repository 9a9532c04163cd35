import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// The probe budget as operators see it: in `/v1/providers`, in `/metrics`, and kept across a restart.
@Suite(.timeLimit(.minutes(10))) struct BudgetTests {
    @Test func aSpentBudgetShowsInTheAPIAndMetricsAndSurvivesARestart() async throws {
        let fleet = SimulatorFleet([ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 1))])
        try await withTemporaryDirectory { directory in
            try await fleet.withRunning { ports in
                // $0.01 a request against $0.025 a day: after two probes a third would overspend, so completion probes pause.
                let yaml = """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 200ms, timeout: 2s, mode: completion }
                    providers:
                      - { name: paid, kind: openai, base_url: "http://127.0.0.1:\(ports["paid"]!)/v1",
                          price: { per_request: 0.01 }, budget: { probe_usd_per_day: 0.025 }, models: [{ name: m }] }
                    """
                let config = try ConfigLoader.parse(yaml: yaml, file: "budget.yaml")
                let socket = DaemonConnection(endpoint: .unixSocket("\(directory)/switchyard.sock"))

                for round in 1...2 {
                    let bound = Rendezvous<String>()
                    let daemon = try buildServiceGroup(config: config, options: DaemonOptions(
                        stateDirOverride: directory, listenerEvents: .init(unixBound: { bound.set($0) }), shutdownSignals: [], logger: LogCapture().logger()
                    ))
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask { try await daemon.run() }
                        _ = await bound.value()
                        if round == 2 {
                            // Restored from SQLite before any probe of this run could spend anything.
                            let spent = await daemon.scheduler.budgetStatus().first?.spentTodayUSD ?? 0
                            #expect(spent >= 0.02, "restored spend \(spent)")
                        }
                        let paused = try await eventually(within: 20) {
                            String(decoding: try await socket.get("/v1/providers/paid"), as: UTF8.self).contains(#""completion_probes_paused":true"#)
                        }
                        #expect(paused)
                        // Paused as soon as the reservations fill the budget: wait until the reserved probes have spent.
                        let settled = try await eventually(within: 20) { (await daemon.scheduler.budgetStatus().first?.spentTodayUSD ?? 0) >= 0.02 }
                        #expect(settled)
                        // Never overspent, also after a restart that restored the spend (it used to run a third probe: 0.03).
                        let spent = await daemon.scheduler.budgetStatus().first?.spentTodayUSD ?? 0
                        #expect(spent <= 0.025, "round \(round) spent \(spent)")
                        let metrics = String(decoding: try await socket.get("/metrics"), as: UTF8.self)
                        #expect(metrics.contains(#"switchyard_probe_budget_exhausted{provider="paid"} 1"#))
                        #expect(metrics.contains(#"switchyard_probe_budget_remaining_usd{provider="paid"} 0"#))
                        await daemon.serviceGroup.triggerGracefulShutdown()
                        try await tasks.waitForAll()
                    }
                }
            }
        }
    }
}
