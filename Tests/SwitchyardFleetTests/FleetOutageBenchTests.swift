import Foundation
import Synchronization
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// `make bench-fleet`, the outage figures: PostgreSQL stopped for 60 s under three hosts, and
/// one host partitioned from it for 60 s. Run only when `SWITCHYARD_BENCH_FLEET` is set.
@Suite(.serialized, .timeLimit(.minutes(15))) struct FleetOutageBenchTests {
    /// Route answers timed per phase, with failures counted.
    final class RouteTimings: Sendable {
        private let state = Mutex<(phase: String, seconds: [String: [Double]], errors: [String: Int], stop: Bool)>(("before", [:], [:], false))

        func enter(_ phase: String) { state.withLock { $0.phase = phase } }
        func stop() { state.withLock { $0.stop = true } }
        var stopped: Bool { state.withLock { $0.stop } }
        var summary: (seconds: [String: [Double]], errors: [String: Int]) { state.withLock { ($0.seconds, $0.errors) } }

        func record(_ seconds: Double, ok: Bool) {
            state.withLock { state in
                state.seconds[state.phase, default: []].append(seconds)
                if !ok { state.errors[state.phase, default: 0] += 1 }
            }
        }

        /// Asks each host for a route in turn every 20 ms, and has each host's clients send one
        /// report a second, until stopped.
        func poll(_ hosts: [FleetHostProcess]) {
            var lastReport = Date.distantPast
            while !stopped {
                for host in hosts {
                    let start = ContinuousClock.now
                    let answer = UnixHTTP.get(host.socket, "/v1/route?model=m")
                    let elapsed = ContinuousClock.now - start
                    record(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                           ok: answer.status == 200 && answer.body.contains("\"paid\""))
                }
                if Date().timeIntervalSince(lastReport) >= 1 {
                    lastReport = Date()
                    let report = #"{"reports":[{"provider":"paid","model":"m","started_at":\#(Date().timeIntervalSince1970 - 0.05),"outcome":"ok","total_ms":30}]}"#
                    for host in hosts { _ = UnixHTTP.request(host.socket, "POST", "/v1/reports", json: report) }
                }
                usleep(20_000)
            }
        }
    }

    /// Rows of `sql` (one number per line) summed.
    private static func count(_ text: String) -> Int { text.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.reduce(0, +) }

    @Test(.enabled(if: FleetBenchTests.enabled)) func benchPostgresStoppedForSixtySeconds() async throws {
        let outage = 60.0
        let simulator = ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 5))
        try await withPostgresCluster { cluster in
            try await SimulatorFleet([simulator]).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "127.0.0.1:\(ports["paid"]!)"
                    let starts = ["h1", "h2", "h3"].map { name in
                        { try FleetHostProcess(name: name, directory: directory, simulator: address, interval: "2s", databaseURL: cluster.url) }
                    }
                    try await withHosts(starts) { hosts in
                        #expect(try await eventuallyOffPool(within: 60) { try hosts.allSatisfy { try $0.readyAndShared() } })
                        let timings = RouteTimings()
                        async let polling: Void = offPool { timings.poll(hosts) }
                        try await Task.sleep(for: .seconds(30))
                        timings.enter("during")
                        try await offPool { try cluster.stop() }
                        let stoppedAt = Date().timeIntervalSince1970
                        var maxBuffered = 0
                        while Date().timeIntervalSince1970 < stoppedAt + outage {
                            for host in hosts { maxBuffered = max(maxBuffered, try await offPool { (try host.json("/v1/fleet"))?["buffered"] as? Int ?? 0 }) }
                            try await Task.sleep(for: .seconds(1))
                        }
                        try await offPool { try cluster.start() }
                        let startedAt = Date().timeIntervalSince1970
                        timings.enter("after")
                        let rejoined = try await eventuallyOffPool(within: 60) { try hosts.allSatisfy { try $0.readyAndShared() } }
                        let rejoinSeconds = Date().timeIntervalSince1970 - startedAt
                        let drained = try await eventuallyOffPool(within: 60) {
                            try hosts.allSatisfy { (try $0.json("/v1/fleet"))?["buffered"] as? Int == 0 }
                        }
                        let drainSeconds = Date().timeIntervalSince1970 - startedAt
                        // Probe duty shares again: completion probes per 2 s slot over 30 s.
                        let before = simulator.stats["completion_requests"] ?? 0
                        let sharingFrom = Date()
                        try await Task.sleep(for: .seconds(30))
                        let made = (simulator.stats["completion_requests"] ?? 0) - before
                        let slots = Date().timeIntervalSince(sharingFrom) / 2
                        timings.stop()
                        try await polling
                        // Every observation each host kept in its SQLite during the outage (away from its
                        // edges) is in fleet_evidence: probes there are all its own completion probes.
                        let (from, to) = (stoppedAt + 3, startedAt - 1)
                        var lost: [String: Int] = [:]
                        var local: [String: Int] = [:]
                        for host in hosts {
                            let mine = try await offPool {
                                Self.count(try runProgram("/usr/bin/sqlite3", [host.databasePath, "SELECT count(*) FROM observations WHERE started_at >= \(from) AND started_at < \(to)"]).output)
                            }
                            let shared = try await offPool {
                                Self.count(try cluster.psql("SELECT count(*) FROM fleet_evidence WHERE host = '\(host.name)' AND started_at >= \(from) AND started_at < \(to)"))
                            }
                            local[host.name] = mine
                            lost[host.name] = mine - shared
                        }
                        let (seconds, errors) = timings.summary
                        let p99 = ["before", "during", "after"].map { "\($0) \(FleetBenchTests.ms(FleetBenchTests.percentile(seconds[$0] ?? [], 0.99))) ms (n \(seconds[$0]?.count ?? 0), errors \(errors[$0] ?? 0))" }
                        print("bench-fleet postgres down \(Int(outage)) s: route p99 \(p99.joined(separator: "; ")); "
                              + "rejoined in \(String(format: "%.1f", rejoinSeconds)) s, buffers empty \(String(format: "%.1f", drainSeconds)) s after the start (max buffered \(maxBuffered)); "
                              + "outage observations local \(local), not shared \(lost); completion probes after: \(made) in \(String(format: "%.1f", slots)) slots; load \(FleetBenchTests.loadAverage())")
                        #expect(errors.values.reduce(0, +) == 0)
                        #expect(rejoined && drained)
                        #expect(lost.values.allSatisfy { $0 == 0 } && local.values.allSatisfy { $0 > 0 })
                        #expect(Double(made) <= slots + 2)
                    }
                }
            }
        }
    }

    /// Root and `ip netns`: h3 in its own namespace loses the database for 60 s.
    @Test(.enabled(if: FleetBenchTests.enabled && getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")))
    func benchAHostPartitionedForSixtySeconds() async throws {
        let network = try await offPool { try VethNamespace() }
        defer { network.remove() }
        let simulator = ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 5))
        try await withPostgresCluster(listenAddress: "127.0.0.1,\(network.databaseAddress)") { cluster in
            try await SimulatorFleet([simulator], host: network.simulatorAddress).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "\(network.simulatorAddress):\(ports["paid"]!)"
                    let starts: [() throws -> FleetHostProcess] = ["h1", "h2"].map { name in
                        { try FleetHostProcess(name: name, directory: directory, simulator: address, interval: "2s", databaseURL: cluster.url) }
                    } + [{ try FleetHostProcess(name: "h3", directory: directory, simulator: address, interval: "2s",
                                                databaseURL: cluster.url(host: network.databaseAddress), netns: network.name) }]
                    try await withHosts(starts) { hosts in
                        #expect(try await eventuallyOffPool(within: 60) { try hosts.allSatisfy { try $0.readyAndShared() } })
                        let stale = { @Sendable (viewer: FleetHostProcess) throws -> Bool? in
                            ((try viewer.json("/v1/fleet"))?["hosts"] as? [[String: Any]])?.first { $0["host"] as? String == "h3" }?["stale"] as? Bool
                        }
                        let timings = RouteTimings()
                        async let polling: Void = offPool { timings.poll([hosts[2]]) }
                        try await offPool { try network.cutDatabase() }
                        let cutAt = Date()
                        var staleAfter: [String: Double] = [:]
                        while Date().timeIntervalSince(cutAt) < 60 {
                            for viewer in hosts[0..<2] where staleAfter[viewer.name] == nil {
                                if try await offPool({ try stale(viewer) }) == true { staleAfter[viewer.name] = Date().timeIntervalSince(cutAt) }
                            }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        let saidCut = try await offPool { try hosts[2].fleetProblem() }
                        try await offPool { try network.restoreDatabase() }
                        let restoredAt = Date()
                        let rejoined = try await eventuallyOffPool(within: 90) {
                            try hosts[2].readyAndShared() && stale(hosts[0]) == false && stale(hosts[1]) == false
                        }
                        let rejoinSeconds = Date().timeIntervalSince(restoredAt)
                        timings.stop()
                        try await polling
                        let (seconds, errors) = timings.summary
                        let routes = seconds.values.reduce(0) { $0 + $1.count }
                        print("bench-fleet partition 60 s: h3 seen stale by \(staleAfter.mapValues { String(format: "%.1f s", $0) }) after the cut; "
                              + "h3 said \(saidCut ?? "nothing"); rejoined \(String(format: "%.1f", rejoinSeconds)) s after the link came back; "
                              + "h3 route answers \(routes), errors \(errors.values.reduce(0, +)), p99 \(FleetBenchTests.ms(FleetBenchTests.percentile(seconds.values.flatMap { $0 }, 0.99))) ms; load \(FleetBenchTests.loadAverage())")
                        #expect(staleAfter.count == 2 && saidCut != nil && rejoined)
                        #expect(saidCut?.contains("socket error") != true, "not a short reason: \(saidCut ?? "")")
                        #expect(errors.values.reduce(0, +) == 0)
                    }
                }
            }
        }
    }
}
