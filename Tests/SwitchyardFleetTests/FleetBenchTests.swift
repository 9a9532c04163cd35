import Foundation
import Synchronization
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// `make bench-fleet` (README "Fleet"): the acceptance figures, each with three real
/// `switchyard serve` hosts on one PostgreSQL, run only when `SWITCHYARD_BENCH_FLEET` is set.
@Suite(.serialized, .timeLimit(.minutes(15))) struct FleetBenchTests {
    static let enabled = ProcessInfo.processInfo.environment["SWITCHYARD_BENCH_FLEET"] != nil

    /// `make bench-fleet`: 3 hosts probing every 10 s for 10 minutes (60 ± 2).
    @Test(.enabled(if: enabled)) func benchThreeHostsTenMinutesOfTenSecondProbes() async throws {
        let run = try await FleetHostsTests.share(interval: 10, window: 600)
        print("bench-fleet: 3 hosts, 1 target, paid probe every 10 s, \(String(format: "%.1f", run.seconds)) s: "
              + "\(run.made) completion probes (leases won \(run.won), by host \(run.leasesByHost)); 1 host alone x3 would be ~180")
        #expect(abs(run.made - 60) <= 2)
    }

    /// Host A's clients report a provider failing; B and C, polled every 5 ms, take it off the top
    /// of their routes. 20 trials; between them the provider recovers on all three.
    @Test(.enabled(if: enabled)) func benchAReportOnOneHostReachesTheOthersRoutes() async throws {
        let fast = ProviderSimulator(name: "a", behavior: SimulatorBehavior(models: ["m"], latencyMs: 2))
        let slow = ProviderSimulator(name: "b", behavior: SimulatorBehavior(models: ["m"], latencyMs: 40))
        try await withPostgresCluster { cluster in
            try await SimulatorFleet([fast, slow]).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let providers = ["a", "b"].map { "  - { name: \($0), kind: openai, base_url: \"http://127.0.0.1:\(ports[$0]!)/v1\", models: [{ name: m }] }" }
                        .joined(separator: "\n")
                    // A short ejection, so the provider is back within seconds for the next trial.
                    let extra = "routing: { ejection: { base_duration: 1s, max_duration: 1s } }"
                    let starts = ["h1", "h2", "h3"].map { name in
                        { try FleetHostProcess(name: name, directory: directory, simulator: "", interval: "10s", databaseURL: cluster.url,
                                               providers: providers, extra: extra) }
                    }
                    try await withHosts(starts) { hosts in
                        #expect(try await eventuallyOffPool(within: 60) { try hosts.allSatisfy { try $0.readyAndShared() } })
                        var latencies: [String: [Double]] = ["h2": [], "h3": []]
                        var misses: [String] = []
                        for trial in 1...20 {
                            let back = try await eventuallyOffPool(within: 60) {
                                if hosts.allSatisfy({ $0.top() == "a" }) { return true }
                                let ok = #"{"reports":[{"provider":"a","model":"m","started_at":\#(Date().timeIntervalSince1970 - 0.05),"outcome":"ok","total_ms":20}]}"#
                                _ = UnixHTTP.request(hosts[0].socket, "POST", "/v1/reports", json: ok)
                                return false
                            }
                            guard back else { Issue.record("trial \(trial): a did not lead again on every host"); break }
                            // The recovery's own probes are over: a host's confirming probe never comes within
                            // max(1 s, interval / 4) = 2.5 s of its previous probe; this measures the report, not that floor.
                            try await Task.sleep(for: .seconds(3))
                            var failing = fast.currentBehavior
                            failing.fault = .serverError
                            fast.setBehavior(failing)
                            let now = Date().timeIntervalSince1970
                            let items = (0..<3).map { #"{"provider":"a","model":"m","started_at":\#(now - 0.5 + Double($0) * 0.1),"outcome":"server_error","status":500,"total_ms":20}"# }
                            let reportedAt = Cell<ContinuousClock.Instant?>(nil)
                            async let seenByB = offPool { Self.waitForTopChange(hosts[1], from: "a", after: reportedAt) }
                            async let seenByC = offPool { Self.waitForTopChange(hosts[2], from: "a", after: reportedAt) }
                            try await Task.sleep(for: .milliseconds(20))  // the watchers are polling
                            reportedAt.set(.now)
                            let answer = try await offPool { UnixHTTP.request(hosts[0].socket, "POST", "/v1/reports", json: #"{"reports":[\#(items.joined(separator: ","))]}"#) }
                            #expect(answer.status == 200, "\(answer.body)")
                            for (name, seconds) in [("h2", try await seenByB), ("h3", try await seenByC)] {
                                if let seconds { latencies[name, default: []].append(seconds) } else { misses.append("trial \(trial) \(name)") }
                            }
                            var healthy = fast.currentBehavior
                            healthy.fault = .none
                            fast.setBehavior(healthy)
                        }
                        let load = Self.loadAverage()
                        for name in ["h2", "h3"] {
                            let values = latencies[name] ?? []
                            print("bench-fleet report→peer route: \(name): \(values.count) trials, median \(Self.ms(Self.median(values))) ms, "
                                  + "max \(Self.ms(values.max() ?? .nan)) ms (all: \(values.map { Self.ms($0) }.joined(separator: " ")))")
                        }
                        print("bench-fleet report→peer route: misses \(misses); load \(load)")
                        #expect(misses.isEmpty)
                        #expect((latencies.values.flatMap { $0 }.max() ?? 99) < 1)
                    }
                }
            }
        }
    }

    /// Polls `host`'s route every 5 ms until `provider` is no longer on top: the seconds from
    /// `after` (set by the caller when it reports) to the change; nil after 5 s.
    private static func waitForTopChange(_ host: FleetHostProcess, from provider: String, after: Cell<ContinuousClock.Instant?>) -> Double? {
        let deadline = ContinuousClock.now + .seconds(6)
        while ContinuousClock.now < deadline {
            let top = host.top()
            if let start = after.get(), top != nil, top != provider {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            usleep(5_000)
        }
        return nil
    }

    /// Three hosts share one paid probe every 10 s for `window` seconds; each host's `/v1/fleet`
    /// is polled every 10 ms, and each shared probe result is timed from the winner's observation
    /// (the probe's end) and from its publish (`recorded_at`) to the other two having delivered it
    /// to their health state (their `received` count moves).
    @Test(.enabled(if: enabled)) func benchEachSharedProbeResultReachesThePeers() async throws {
        let window = Int(ProcessInfo.processInfo.environment["SWITCHYARD_BENCH_FLEET_WINDOW"] ?? "") ?? 120
        let simulator = ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 5))
        try await withPostgresCluster { cluster in
            try await SimulatorFleet([simulator]).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "127.0.0.1:\(ports["paid"]!)"
                    let starts = ["h1", "h2", "h3"].map { name in
                        { try FleetHostProcess(name: name, directory: directory, simulator: address, interval: "10s", databaseURL: cluster.url) }
                    }
                    try await withHosts(starts) { hosts in
                        #expect(try await eventuallyOffPool(within: 60) { try hosts.allSatisfy { try $0.readyAndShared() } })
                        let begin = Date().timeIntervalSince1970
                        let stop = Cell(false)
                        async let changes = withThrowingTaskGroup(of: (String, [Double]).self) { group in
                            for host in hosts { group.addTask { (host.name, try await offPool { Self.receivedChanges(host, until: stop) }) } }
                            var all: [String: [Double]] = [:]
                            for try await (name, times) in group { all[name] = times }
                            return all
                        }
                        try await Task.sleep(for: .seconds(window))
                        stop.set(true)
                        let seen = try await changes
                        let rows = try await offPool {
                            try cluster.psql("""
                                SELECT host, started_at + total_ms / 1000, extract(epoch from recorded_at) FROM fleet_evidence
                                WHERE kind = 'probe' AND started_at > \(begin) AND started_at < \(begin + Double(window) - 3) ORDER BY seq
                                """)
                        }
                        var fromObservation: [Double] = []
                        var fromPublish: [Double] = []
                        var misses = 0
                        var count = 0
                        for line in rows.split(separator: "\n") {
                            let parts = line.split(separator: "|")
                            guard parts.count == 3, let finished = Double(parts[1]), let recorded = Double(parts[2]) else { continue }
                            count += 1
                            for host in hosts where host.name != String(parts[0]) {
                                guard let at = seen[host.name]?.first(where: { $0 >= recorded - 0.002 }), at - recorded < 5 else { misses += 1; continue }
                                fromObservation.append(at - finished)
                                fromPublish.append(at - recorded)
                            }
                        }
                        print("bench-fleet probe→peers: \(window) s window, \(count) shared probe results, \(fromObservation.count) peer deliveries, \(misses) missed; "
                              + "from the probe's end: median \(Self.ms(Self.median(fromObservation))) ms, max \(Self.ms(fromObservation.max() ?? .nan)) ms; "
                              + "from its publish: median \(Self.ms(Self.median(fromPublish))) ms, max \(Self.ms(fromPublish.max() ?? .nan)) ms; load \(Self.loadAverage())")
                        #expect(misses == 0)
                        #expect(count >= window / 10 - 2)
                    }
                }
            }
        }
    }

    /// The wall-clock times `host`'s `/v1/fleet` `received` count went up, polled every 10 ms.
    private static func receivedChanges(_ host: FleetHostProcess, until stop: Cell<Bool>) -> [Double] {
        var times: [Double] = []
        var last: Int?
        while !stop.get() {
            let answer = UnixHTTP.get(host.socket, "/v1/fleet")
            if let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any], let received = object["received"] as? Int {
                if let last, received > last { times.append(Date().timeIntervalSince1970) }
                last = received
            }
            usleep(10_000)
        }
        return times
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}

/// A value shared with a thread (a watcher), behind a lock.
final class Cell<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func get() -> Value { value.withLock { $0 } }
    func set(_ new: Value) { value.withLock { $0 = new } }
}
