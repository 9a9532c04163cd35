import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardDaemon
import SwitchyardSimulator
import Testing
import Yams

/// The repository root, for the files under `dashboards/`.
private let repositoryRoot = URL(fileURLWithPath: packageRoot())

/// Runs a program to the end, off the cooperative pool.
private func run(_ executable: String, _ arguments: [String], input: String? = nil, directory: URL? = nil) async throws -> (status: Int32, output: String) {
    try await offPool { try runProgram(executable, arguments, directory: directory?.path, input: input) }
}

private func requireTool(_ path: String) throws {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        Issue.record("\(path) is missing: `make deps` installs the Debian package prometheus (it brings promtool)")
        throw POSIXError(.ENOENT)
    }
}

/// Three simulated providers with what the dashboards need to show: a healthy completion
/// provider with a budget, a slower one, and one answering 500s (error series).
private func withObservedDaemon(_ body: @Sendable (_ tcpPort: Int, _ directory: String) async throws -> Void) async throws {
    let fleet = SimulatorFleet([
        ProviderSimulator(name: "good", behavior: SimulatorBehavior(models: ["m"], latencyMs: 3)),
        ProviderSimulator(name: "slow", behavior: SimulatorBehavior(models: ["m"], latencyMs: 40)),
        ProviderSimulator(name: "broken", behavior: SimulatorBehavior(models: ["m"], latencyMs: 2, fault: .serverError)),
    ])
    try await withTemporaryDirectory { directory in
        try await fleet.withRunning { ports in
            let config = try ConfigLoader.parse(yaml: """
                listen: { tcp: "127.0.0.1:0", unix: "\(directory)/switchyard.sock" }
                probe: { interval: 300ms, timeout: 2s, mode: completion, max_tokens: 8 }
                providers:
                  - { name: good, kind: openai, base_url: "http://127.0.0.1:\(ports["good"]!)/v1",
                      price: { input_per_mtok: 0.2, output_per_mtok: 0.6 }, budget: { probe_usd_per_day: 1.0 }, models: [{ name: m }] }
                  - { name: slow, kind: vllm, base_url: "http://127.0.0.1:\(ports["slow"]!)", models: [{ name: m }] }
                  - { name: broken, kind: openai, base_url: "http://127.0.0.1:\(ports["broken"]!)/v1", models: [{ name: m }] }
                """, file: "observed.yaml")
            let tcpPort = Rendezvous<Int>()
            let daemon = try buildServiceGroup(config: config, options: DaemonOptions(
                stateDirOverride: directory, listenerEvents: .init(tcpBound: { tcpPort.set($0) }), shutdownSignals: []
            ))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await daemon.run() }
                let port = await tcpPort.value()
                let client = DaemonConnection(endpoint: .url("http://127.0.0.1:\(port)"))
                // Route queries of every kind, and a rejected report, so those series move too.
                _ = try await eventually(within: 20) { daemon.readiness.current.isReady }
                for strategy in ["balanced", "latency", "fastest", "cheapest", "preferred"] { _ = try? await client.get("/v1/route?model=m&strategy=\(strategy)") }
                _ = try? await client.get("/v1/route?model=unknown")
                try await body(port, directory)
                await daemon.serviceGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct ObservabilityTests {
    @Test func promtoolAcceptsTheDaemonsRealMetrics() async throws {
        try requireTool("/usr/bin/promtool")
        try await withObservedDaemon { port, _ in
            let client = DaemonConnection(endpoint: .url("http://127.0.0.1:\(port)"))
            #expect(try await eventually(within: 10) {
                String(decoding: try await client.get("/metrics"), as: UTF8.self).contains(#"outcome="server_error""#)
            })
            let metrics = String(decoding: try await client.get("/metrics"), as: UTF8.self)
            let check = try await run("/usr/bin/promtool", ["check", "metrics"], input: metrics)
            // promtool exits 0 even for some lint findings; any output at all is a finding.
            #expect(check.status == 0 && check.output.isEmpty, "promtool check metrics:\n\(check.output)")
            for family in ["switchyard_probe_duration_seconds_bucket", "switchyard_probe_ttft_seconds_bucket", "switchyard_probe_output_tokens_per_second_bucket",
                           "switchyard_route_score", "switchyard_store_queue_depth", "switchyard_config_last_reload_success_timestamp_seconds",
                           "process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total", "switchyard_build_info"] {
                #expect(metrics.contains(family), "\(family) missing")
            }
            #expect(metrics.contains(#"switchyard_probe_duration_seconds_bucket{provider="slow",model="m",kind="vllm",phase="first_byte""#))
        }
    }

    @Test func alertRulesAreValidAndTheirUnitTestsPass() async throws {
        try requireTool("/usr/bin/promtool")
        let dashboards = repositoryRoot.appendingPathComponent("dashboards")
        let check = try await run("/usr/bin/promtool", ["check", "rules", "switchyard-alerts.yml"], directory: dashboards)
        #expect(check.status == 0, "\(check.output)")
        let test = try await run("/usr/bin/promtool", ["test", "rules", "switchyard-alerts.test.yml"], directory: dashboards)
        #expect(test.status == 0 && test.output.contains("SUCCESS"), "\(test.output)")
    }

    /// A real Prometheus scrapes the daemon; every expression of the dashboard and the alert
    /// rules is then evaluated through its HTTP API. Invalid PromQL fails, and so does a
    /// dashboard query that returns no series.
    @Test func everyDashboardAndRuleExpressionEvaluatesAgainstARealPrometheus() async throws {
        try requireTool("/usr/bin/prometheus")
        let dashboard = try DashboardExpressions(file: repositoryRoot.appendingPathComponent("dashboards/switchyard.json"))
        let rules = try RuleExpressions(file: repositoryRoot.appendingPathComponent("dashboards/switchyard-alerts.yml"))
        #expect(dashboard.panels.count >= 15)
        for metric in ["switchyard_gateway_requests_total", "switchyard_gateway_attempts_total", "switchyard_gateway_failovers_total",
                       "switchyard_gateway_client_spend_usd_total", "switchyard_gateway_client_refused_total", "switchyard_gateway_upload_held_bytes",
                       "switchyard_gateway_requests_in_flight", "switchyard_discovery_targets", "switchyard_discovery_catalog_stale", "switchyard_fleet_up"] {
            #expect(dashboard.panels.contains { $0.expression.contains(metric) }, "the dashboard shows no \(metric)")
        }
        #expect(rules.expressions.count >= 6)

        try await withObservedDaemon { daemonPort, directory in
            try await PrometheusServer.withRunning(scraping: daemonPort, in: directory) { prometheus in
                // Enough scrapes that rates over 10 s windows have samples.
                let scraped = try await eventually(within: 40) {
                    (try await prometheus.query("count_over_time(up{job=\"switchyard\"}[1m])").first?.value ?? 0) >= 10
                }
                #expect(scraped, "Prometheus did not scrape the daemon 10 times in 40 s")

                var empty: [String] = []
                for (panel, expression) in dashboard.panels {
                    let concrete = DashboardExpressions.substitute(expression)
                    do {
                        if try await prometheus.query(concrete).isEmpty { empty.append("\(panel): \(concrete)") }
                    } catch {
                        Issue.record("panel '\(panel)': \(concrete) — \(error)")
                    }
                }
                #expect(empty.isEmpty, "dashboard queries with no series:\n\(empty.joined(separator: "\n"))")
                for selector in dashboard.variableSelectors {
                    let concrete = DashboardExpressions.substitute(selector)
                    let found = try await prometheus.query(concrete)
                    #expect(!found.isEmpty, "template variable query \(concrete) finds nothing")
                }
                for (alert, expression) in rules.expressions {
                    do { _ = try await prometheus.query(expression) } catch { Issue.record("alert \(alert): \(expression) — \(error)") }
                }
            }
        }
    }
}

/// Every PromQL expression in a Grafana dashboard, with the panel it belongs to.
struct DashboardExpressions {
    var panels: [(title: String, expression: String)] = []
    /// The series selectors inside the `label_values(...)` template variables.
    var variableSelectors: [String] = []

    init(file: URL) throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] ?? [:]
        for panel in json["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expr = target["expr"] as? String { panels.append((panel["title"] as? String ?? "?", expr)) }
            }
        }
        let variables = (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables {
            guard let definition = variable["definition"] as? String, definition.hasPrefix("label_values("),
                  let comma = definition.lastIndex(of: ",") else { continue }
            variableSelectors.append(String(definition[definition.index(definition.startIndex, offsetBy: 13)..<comma]))
        }
    }

    /// What Grafana would send with "All" selected, the job named `switchyard`, and a 10 s rate window.
    static func substitute(_ expression: String) -> String {
        expression.replacingOccurrences(of: "$__rate_interval", with: "10s")
            .replacingOccurrences(of: "\"$job\"", with: "\"switchyard\"")
            .replacingOccurrences(of: "\"$provider\"", with: "\".*\"")
            .replacingOccurrences(of: "\"$model\"", with: "\".*\"")
            .replacingOccurrences(of: "\"$task\"", with: "\".*\"")
    }
}

/// The `expr` of every alerting rule in a Prometheus rules file.
struct RuleExpressions {
    var expressions: [(alert: String, expression: String)] = []

    init(file: URL) throws {
        let yaml = try Yams.load(yaml: String(contentsOf: file, encoding: .utf8)) as? [String: Any] ?? [:]
        for group in yaml["groups"] as? [[String: Any]] ?? [] {
            for rule in group["rules"] as? [[String: Any]] ?? [] {
                if let expr = rule["expr"] as? String { expressions.append((rule["alert"] as? String ?? "?", expr)) }
            }
        }
    }
}
