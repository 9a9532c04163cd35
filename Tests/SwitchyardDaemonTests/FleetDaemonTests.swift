import Foundation
import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// Two daemons on one real PostgreSQL (`fleet:`): a failure one host's clients report takes the
/// provider off the top of the other's route; bad fleet input leaves a host serving alone.
@Suite(.serialized, .timeLimit(.minutes(4))) struct FleetDaemonTests {
    struct Host: Sendable {
        var name: String
        var directory: String
        var daemon: Daemon
        var logs: LogCapture
        var address: RawHTTP.Address { .unix(path: directory + "/switchyard.sock") }

        func get(_ path: String) async throws -> RawHTTP.Answer { try await RawHTTP.exchange(address, "GET", path) }
        func json(_ path: String) async throws -> [String: Any] {
            (try JSONSerialization.jsonObject(with: Data(try await get(path).body.utf8)) as? [String: Any]) ?? [:]
        }
        /// The provider at the top of `m`'s route.
        func top() async throws -> String? {
            ((try await json("/v1/route?model=m")["candidates"] as? [[String: Any]])?.first?["provider"]) as? String
        }
    }

    /// Runs one daemon per name on the same simulators, each with `fleet:` (or `fleetYAML(name)`), then `body`.
    static func withHosts(_ names: [String], ports: [String: Int], environment: [String: String],
                          fleetYAML: @escaping @Sendable (String) -> String,
                          _ body: @Sendable ([Host]) async throws -> Void) async throws {
        try await start(names[...], ports: ports, environment: environment, fleetYAML: fleetYAML, started: [], body)
    }

    private static func start(_ names: ArraySlice<String>, ports: [String: Int], environment: [String: String],
                              fleetYAML: @escaping @Sendable (String) -> String, started: [Host],
                              _ body: @Sendable ([Host]) async throws -> Void) async throws {
        guard let name = names.first else { return try await body(started) }
        try await withTemporaryDirectory { directory in
            let yaml = """
                listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                probe: { interval: 10m, timeout: 2s, connect_timeout: 500ms, mode: completion }
                providers:
                  - { name: a, kind: openai, base_url: "http://127.0.0.1:\(ports["a"]!)/v1", models: [{ name: m, upstream: m-up }] }
                  - { name: b, kind: openai, base_url: "http://127.0.0.1:\(ports["b"]!)/v1", models: [{ name: m, upstream: m-up }] }
                \(fleetYAML(name))
                """
            let logs = LogCapture()
            let unixReady = Rendezvous<String>()
            var options = DaemonOptions(stateDirOverride: directory, environment: environment,
                                        listenerEvents: .init(tcpBound: { _ in }, unixBound: { unixReady.set($0) }),
                                        shutdownSignals: [], logger: logs.logger(), reloadOnHangup: false)
            options.probeStartSpreadSeconds = 0
            let daemon = try buildServiceGroup(config: try ConfigLoader.parse(yaml: yaml, file: "\(name).yaml"), options: options)
            try await whileRunning(daemon) {
                _ = await unixReady.value()
                let host = Host(name: name, directory: directory, daemon: daemon, logs: logs)
                try await start(names.dropFirst(), ports: ports, environment: environment, fleetYAML: fleetYAML, started: started + [host], body)
            }
        }
    }

    static func simulators() -> (SimulatorFleet, ProviderSimulator) {
        let a = ProviderSimulator(name: "a", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 2))
        let b = ProviderSimulator(name: "b", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 40))
        return (SimulatorFleet([a, b]), a)
    }

    static let quiet = Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func aFailureReportedOnOneHostTakesTheProviderOffTheTopOfTheOthersRoute() async throws {
        try await withPostgresCluster { server in
            let (fleet, a) = Self.simulators()
            try await fleet.withRunning(logger: Self.quiet) { ports in
                try await Self.withHosts(["host-a", "host-b"], ports: ports, environment: ["SY_PG_URL": server.url], fleetYAML: {
                    "fleet: { postgres: { url_env: SY_PG_URL }, host: \($0), group: g1 }"
                }) { hosts in
                    let (hostA, hostB) = (hosts[0], hosts[1])
                    for host in hosts {
                        let joined = try await eventually(within: 30) {
                            let body = try await host.get("/v1/fleet").body
                            return body.contains(#""host":"host-a""#) && body.contains(#""host":"host-b""#) && !body.contains("problem")
                        }
                        let view = try await host.get("/v1/fleet").body
                        #expect(joined, "\(host.name) sees both hosts: \(view)")
                        let first = try await eventually(within: 20) { try await host.top() == "a" }
                        #expect(first, "a (2 ms) leads b (40 ms) on \(host.name)")
                    }
                    // A row a peer of another build wrote, that this one cannot read: skipped and counted.
                    _ = try await offPool { try server.psql("""
                        INSERT INTO fleet_evidence (fleet_group, host, provider, model, kind, started_at, outcome, total_ms)
                        VALUES ('g1', 'host-z', 'a', 'm', 'probe', extract(epoch from now()), 'from-the-future', 5)
                        """) }
                    let skipped = try await eventually(within: 10) { try await hostB.get("/v1/fleet").body.contains(#""undecodable":1"#) }
                    #expect(skipped)

                    // a fails for real; host-a's clients say so; host-a's confirming probe agrees.
                    var failing = a.currentBehavior
                    failing.fault = .serverError
                    a.setBehavior(failing)
                    let now = Date().timeIntervalSince1970
                    let items = (0..<3).map { #"{"provider":"a","model":"m","started_at":\#(now - 1 + Double($0) * 0.1),"outcome":"server_error","status":500,"total_ms":20}"# }
                    let clock = ContinuousClock()
                    let reported = clock.now
                    let answer = try await RawHTTP.exchange(hostA.address, "POST", "/v1/reports", body: #"{"reports":[\#(items.joined(separator: ","))]}"#)
                    #expect(answer.body.contains(#""accepted":3"#))
                    let moved = try await eventually(within: 10) { try await hostB.top() != "a" }
                    let elapsed = clock.now - reported
                    print("fleet: report on host-a → a off the top of host-b's route in \(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000) ms")
                    #expect(moved)
                    #expect(elapsed < .seconds(1), "took \(elapsed)")
                    #expect(try await hostA.top() != "a")

                    // host-b held host-a's clients' reports until its own probe confirmed them (host-a's
                    // confirming probe, liveness on its own path, is not shared); its events say whose
                    // reports they were and where they were seen; it stored none of them.
                    // (b excluded: a alone is a panic route, which lists a with its reasons.)
                    let reasons = try await hostB.get("/v1/route?model=m&exclude=b").body
                    #expect(reasons.contains("server_error"), "\(reasons)")
                    let events = try await eventually(within: 5) {
                        try await hostB.get("/v1/events").body.contains("reported by uid:0 (seen by host host-a), confirmed by a probe")
                    }
                    let eventsText = try await hostB.get("/v1/events").body
                    #expect(events, "\(eventsText.suffix(1500))")
                    let target = Target(provider: ProviderID("a"), model: ModelName("m"))
                    #expect(try hostB.daemon.store.observations(of: target).filter { $0.source == .report }.isEmpty)
                    #expect(try hostA.daemon.store.observations(of: target).filter { $0.source == .report }.count == 3)
                    let page = try await hostB.get("/").body
                    #expect(page.contains(#"<section id="fleet">"#) && page.contains(#"data-host="host-a""#) && page.contains("(this host)"))
                    let metrics = try await hostB.get("/metrics").body
                    #expect(metrics.contains("switchyard_fleet_up 1"))
                    #expect(metrics.contains(#"switchyard_fleet_peer_last_contact_timestamp_seconds{host="host-a"}"#))

                    // PostgreSQL goes away: both keep routing, say why, buffer, and catch up when it is back.
                    try await offPool { try server.stop() }
                    let noticed = try await eventually(within: 15) { try await hostA.get("/readyz").body.contains("fleet_problem") }
                    #expect(noticed)
                    let ok = #"{"reports":[{"provider":"b","model":"m","started_at":\#(Date().timeIntervalSince1970 - 1),"outcome":"ok","total_ms":30}]}"#
                    _ = try await RawHTTP.exchange(hostA.address, "POST", "/v1/reports", body: ok)
                    #expect(try await hostA.get("/v1/route?model=m").status == 200)
                    #expect(try await hostA.get("/v1/fleet").body.contains(#""buffered":1"#))
                    try await offPool { try server.start() }
                    let caughtUp = try await eventually(within: 40) {
                        let body = try await hostA.get("/v1/fleet").body
                        return body.contains(#""buffered":0"#) && !body.contains("problem")
                    }
                    let view = try await hostA.get("/v1/fleet").body
                    #expect(caughtUp, "\(view)")
                    #expect(!(try await hostA.get("/readyz").body.contains("fleet_problem")))
                }
            }
        }
    }

    @Test func aWrongPasswordOrANewerSchemaLeavesTheHostServingAloneAndSaysWhy() async throws {
        try await withPostgresCluster { server in
            let wrong = server.url.replacingOccurrences(of: server.password, with: "Wr0ngPassw0rdValue")
            // Nothing listens on port 1: the reason is a short "connection refused", not NIO's error text.
            let refused = server.url.replacingOccurrences(of: ":\(server.port)/", with: ":1/")
            _ = try await offPool { try server.psql("CREATE TABLE switchyard_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); INSERT INTO switchyard_schema VALUES (99, 'future')") }
            let (fleet, _) = Self.simulators()
            try await fleet.withRunning(logger: Self.quiet) { ports in
                let variables = ["wrong-password": "SY_PG_WRONG", "newer-schema": "SY_PG_URL", "refused": "SY_PG_REFUSED"]
                try await Self.withHosts(["wrong-password", "newer-schema", "refused"], ports: ports,
                                         environment: ["SY_PG_WRONG": wrong, "SY_PG_URL": server.url, "SY_PG_REFUSED": refused], fleetYAML: { name in
                    "fleet: { postgres: { url_env: \(variables[name]!) }, host: \(name) }"
                }) { hosts in
                    let expected = ["wrong-password": "PostgreSQL refused the login: postgres://switchyard@127.0.0.1:\(server.port)/postgres (sslmode=disable): password authentication failed",
                                    "newer-schema": "the fleet database has schema version 99, newer than this build's 2",
                                    "refused": "PostgreSQL unreachable: postgres://switchyard@127.0.0.1:1/postgres (sslmode=disable): connection refused\""]
                    for host in hosts {
                        let said = try await eventually(within: 20) { try await host.get("/readyz").body.contains(expected[host.name]!) }
                        let readyz = try await host.get("/readyz").body
                        #expect(said, "\(host.name): \(readyz)")
                        let ready = try await eventually(within: 20) { try await host.get("/readyz").status == 200 }
                        #expect(ready, "not a readiness condition: the host serves alone")
                        #expect(try await host.top() == "a")
                        let fleetView = try await host.get("/v1/fleet").body
                        #expect(fleetView.contains(#""enabled":true"#) && fleetView.contains(expected[host.name]!))
                        for text in [fleetView, try await host.get("/readyz").body, host.logs.text, try await host.get("/metrics").body] {
                            #expect(!text.contains(server.password) && !text.contains("Wr0ngPassw0rdValue"))
                            #expect(!text.contains("NIOConnectionError") && !text.contains("connectionErrors"), "NIO's error text: \(text.prefix(300))")
                        }
                        #expect(try await host.get("/metrics").body.contains("switchyard_fleet_up 0"))
                    }
                }
            }
        }
    }

    @Test func withoutAFleetSectionTheFleetViewSaysSoAndNothingStarts() async throws {
        try await APITestDaemon.run { daemon in
            let answer = try await RawHTTP.exchange(.unix(path: daemon.socketPath), "GET", "/v1/fleet")
            #expect(answer.status == 200 && answer.body == #"{"enabled":false}"#)
            #expect(daemon.daemon.fleet == nil)
            let metrics = try await RawHTTP.exchange(.unix(path: daemon.socketPath), "GET", "/metrics").body
            #expect(!metrics.contains("switchyard_fleet_"))
            #expect(!(try await RawHTTP.exchange(.unix(path: daemon.socketPath), "GET", "/").body.contains(#"id="fleet""#)))
        }
    }
}
