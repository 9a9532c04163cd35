import Foundation
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing

/// Three real `switchyard serve` processes as one fleet, against the harness's PostgreSQL and a
/// simulator: paid probes shared (one per interval slot, not one per host), PostgreSQL stopped
/// and started under them, and one host partitioned from the database in its own network
/// namespace. Bounded: a 1 s probe interval and windows of seconds (`make bench-fleet` is the
/// 10-minute figure).
@Suite(.serialized, .timeLimit(.minutes(4))) struct FleetHostsTests {
    private static func simulator() -> ProviderSimulator {
        ProviderSimulator(name: "paid", behavior: SimulatorBehavior(models: ["m"], latencyMs: 5))
    }

    private static func completions(_ simulator: ProviderSimulator) -> Int { simulator.stats["completion_requests"] ?? 0 }

    /// Lease rows (one per won slot) by host.
    private static func leases(_ cluster: PostgresCluster) throws -> [String: Int] {
        let text = try cluster.psql("SELECT host, count(*) FROM fleet_probe_leases GROUP BY host ORDER BY host")
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "|")
            if parts.count == 2 { counts[String(parts[0])] = Int(parts[1]) }
        }
        return counts
    }

    /// `name`'s entry in a `/v1/fleet` answer.
    private static func peer(_ name: String, in fleet: [String: Any]?) -> [String: Any]? {
        (fleet?["hosts"] as? [[String: Any]])?.first { $0["host"] as? String == name }
    }

    private static func allShared(_ hosts: [FleetHostProcess]) async throws -> Bool {
        try await eventuallyOffPool(within: 60) { try hosts.allSatisfy { try $0.readyAndShared() } }
    }

    /// What three hosts probing one paid target every `interval` seconds did over `window` seconds.
    struct Sharing {
        var made: Int
        var won: Int
        var seconds: Double
        var leasesByHost: [String: Int]
        /// Probe rows in `fleet_evidence` and leases won, since the hosts started: each host publishes
        /// only the completion probes it ran, never the liveness probe it runs when a peer won the slot.
        var probeRows: Int
        var leasesTotal: Int
    }

    static func share(interval: Int, window: Int) async throws -> Sharing {
        let simulator = Self.simulator()
        return try await withPostgresCluster { cluster in
            try await SimulatorFleet([simulator]).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "127.0.0.1:\(ports["paid"]!)"
                    let starts = ["h1", "h2", "h3"].map { name in
                        { try FleetHostProcess(name: name, directory: directory, simulator: address, interval: "\(interval)s", databaseURL: cluster.url) }
                    }
                    return try await withHosts(starts) { hosts in
                        #expect(try await Self.allShared(hosts), "the hosts did not all connect to the fleet")
                        let before = (completions: Self.completions(simulator), leases: try await offPool { try Self.leases(cluster) }.values.reduce(0, +))
                        let started = Date()
                        try await Task.sleep(for: .seconds(window))  // a window of real probes, not a timing proof
                        let made = Self.completions(simulator) - before.completions
                        let leases = try await offPool { try Self.leases(cluster) }
                        let probeRows = try await offPool { Int(try cluster.psql("SELECT count(*) FROM fleet_evidence WHERE kind = 'probe'")) ?? -1 }
                        let leasesTotal = try await offPool { try Self.leases(cluster) }.values.reduce(0, +)
                        return Sharing(made: made, won: leases.values.reduce(0, +) - before.leases,
                                       seconds: Date().timeIntervalSince(started), leasesByHost: leases,
                                       probeRows: probeRows, leasesTotal: leasesTotal)
                    }
                }
            }
        }
    }

    @Test func threeHostsMakeOneCompletionProbePerIntervalBetweenThem() async throws {
        let run = try await Self.share(interval: 1, window: 12)
        // One paid probe per slot between the three (not three), each a won lease; a probe may be
        // in flight at either edge of the window.
        let slots = Int(run.seconds.rounded(.up))
        #expect(run.made <= slots + 2, "\(run.made) completion probes in \(run.seconds) s of 1 s slots (3 hosts alone would make ~\(3 * slots))")
        #expect(run.made >= slots / 2, "\(run.made) completion probes in \(run.seconds) s")
        #expect(abs(run.made - run.won) <= 2, "\(run.made) completion probes, \(run.won) leases won")
        // Only the slot's winner shares its probe: the others' liveness probes stay theirs.
        #expect(run.probeRows <= run.leasesTotal + 3, "\(run.probeRows) shared probe rows for \(run.leasesTotal) won slots")
        print("fleet duty: \(run.made) completion probes in \(String(format: "%.1f", run.seconds)) s by 3 hosts; leases by host \(run.leasesByHost)")
    }

    @Test func postgresStoppedAndStartedAgainTheHostsKeepRoutingAndShareAgain() async throws {
        let simulator = Self.simulator()
        try await withPostgresCluster { cluster in
            try await SimulatorFleet([simulator]).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "127.0.0.1:\(ports["paid"]!)"
                    let starts = ["h1", "h2", "h3"].map { name in
                        { try FleetHostProcess(name: name, directory: directory, simulator: address, interval: "1s", databaseURL: cluster.url) }
                    }
                    try await withHosts(starts) { hosts in
                        #expect(try await Self.allShared(hosts))
                        try await offPool { try cluster.stop() }
                        let stoppedAt = Date().timeIntervalSince1970
                        // Down for 6 s: every host answers every route, and says it is alone.
                        var answers = 0
                        var failures: [String] = []
                        let downUntil = Date().addingTimeInterval(6)
                        while Date() < downUntil {
                            for host in hosts {
                                let (status, body) = try await offPool { try host.get("/v1/route?model=m") }
                                answers += 1
                                if status != 200 || !body.contains("\"paid\"") { failures.append("\(host.name): \(status) \(body.prefix(200))") }
                            }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        #expect(failures.isEmpty, "\(failures.count) of \(answers) route answers failed while PostgreSQL was down: \(failures.prefix(3))")
                        let alone = try await eventuallyOffPool(within: 10) { try hosts.allSatisfy { try $0.fleetProblem() != nil } }
                        #expect(alone, "a host did not say the fleet was down")
                        let duringOutage = Self.completions(simulator)
                        try await offPool { try cluster.start() }
                        #expect(try await Self.allShared(hosts), "the hosts did not reconnect")
                        // What each host saw while PostgreSQL was down was published afterwards.
                        let published = try await eventuallyOffPool(within: 15) {
                            let rows = try cluster.psql("SELECT count(DISTINCT host) FROM fleet_evidence WHERE started_at >= \(stoppedAt) AND started_at < \(stoppedAt + 5)")
                            return rows == "3"
                        }
                        #expect(published, "not every host published the evidence it buffered during the outage")
                        // Sharing again: one paid probe per slot.
                        let before = Self.completions(simulator)
                        let started = Date()
                        try await Task.sleep(for: .seconds(6))
                        let made = Self.completions(simulator) - before
                        let slots = Int(Date().timeIntervalSince(started).rounded(.up))
                        #expect(made <= slots + 2, "\(made) completion probes in \(slots) slots after PostgreSQL came back")
                        print("fleet duty across an outage: \(duringOutage) completion probes by the end of it; \(made) in \(slots) slots after")
                    }
                }
            }
        }
    }

    @Test func aFleetDrainReachesEveryHostAndAPlainDrainStaysLocal() async throws {
        let simulator = Self.simulator()
        try await withPostgresCluster { cluster in
            try await SimulatorFleet([simulator]).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "127.0.0.1:\(ports["paid"]!)"
                    let starts = ["h1", "h2"].map { name in
                        { try FleetHostProcess(name: name, directory: directory, simulator: address, interval: "1s", databaseURL: cluster.url) }
                    }
                    try await withHosts(starts) { hosts in
                        #expect(try await Self.allShared(hosts))
                        let draining = { @Sendable (host: FleetHostProcess) throws -> Bool in
                            try host.get("/v1/providers/paid").body.contains("\"draining\"")
                        }
                        // A plain drain: h1 only. h2 follows the fleet's rows every second; three seconds show it did not.
                        #expect(try await offPool { try hosts[0].post("/v1/admin/providers/paid/drain").status } == 200)
                        #expect(try await offPool { try draining(hosts[0]) })
                        try await Task.sleep(for: .seconds(3))
                        #expect(try await offPool { try draining(hosts[1]) } == false, "a plain drain reached another host")
                        #expect(try await offPool { try hosts[0].post("/v1/admin/providers/paid/undrain").status } == 200)
                        // --fleet: recorded with host and caller, applied by h2 within a few seconds.
                        let (status, body) = try await offPool { try hosts[0].post("/v1/admin/providers/paid/drain?fleet=true") }
                        #expect(status == 200, "\(body)")
                        #expect(try await eventuallyOffPool(within: 10) { try draining(hosts[1]) }, "h2 did not follow the fleet drain")
                        let row = try await offPool { try cluster.psql("SELECT host || ' ' || caller || ' ' || drained FROM fleet_drains") }
                        #expect(row == "h1 uid:0 true")
                        // h2's events log (written by its store's batches) says who drained it, and where.
                        let recorded = try await eventuallyOffPool(within: 10) { try hosts[1].get("/v1/events").body.contains("uid:0 on h1 (fleet)") }
                        let events = try await offPool { try hosts[1].get("/v1/events").body }
                        #expect(recorded, "h2's events do not say who drained: \(events.prefix(600))")
                        // And undrained the same way.
                        #expect(try await offPool { try hosts[0].post("/v1/admin/providers/paid/undrain?fleet=true").status } == 200)
                        #expect(try await eventuallyOffPool(within: 10) { try !draining(hosts[1]) }, "h2 did not follow the fleet undrain")
                        // A bad value is a 400 naming the parameter.
                        #expect(try await offPool { try hosts[0].post("/v1/admin/providers/paid/drain?fleet=yes").status } == 400)
                    }
                }
            }
        }
    }

    /// Root and `ip netns` needed: the host in its own namespace reaches the database and the
    /// simulator over a veth pair; a blackhole route to the database's address cuts only that.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")))
    func aHostPartitionedFromTheDatabaseKeepsServingIsSeenStaleAndRejoins() async throws {
        let network = try await offPool { try VethNamespace() }
        defer { network.remove() }
        let simulator = Self.simulator()
        try await withPostgresCluster(listenAddress: "127.0.0.1,\(network.databaseAddress)") { cluster in
            try await SimulatorFleet([simulator], host: network.simulatorAddress).withRunning { ports in
                try await withTemporaryDirectory { directory in
                    let address = "\(network.simulatorAddress):\(ports["paid"]!)"
                    let starts: [() throws -> FleetHostProcess] = [
                        { try FleetHostProcess(name: "h1", directory: directory, simulator: address, interval: "1s", databaseURL: cluster.url) },
                        { try FleetHostProcess(name: "h2", directory: directory, simulator: address, interval: "1s", databaseURL: cluster.url) },
                        { try FleetHostProcess(name: "h3", directory: directory, simulator: address, interval: "1s",
                                               databaseURL: cluster.url(host: network.databaseAddress), netns: network.name) },
                    ]
                    try await withHosts(starts) { hosts in
                        #expect(try await Self.allShared(hosts), "the hosts did not all connect to the fleet")
                        try await offPool { try network.cutDatabase() }
                        // h3 keeps answering routes; h1 sees it stale (15 s without a heartbeat).
                        var failures = 0
                        let seenStale = try await eventually(within: 40) {
                            let status = try await offPool { try hosts[2].get("/v1/route?model=m").status }
                            if status != 200 { failures += 1 }
                            return try await offPool { Self.peer("h3", in: try hosts[0].json("/v1/fleet"))?["stale"] as? Bool == true }
                        }
                        #expect(seenStale, "h1 never saw h3 stale")
                        #expect(failures == 0, "h3 failed \(failures) route answers while partitioned")
                        #expect(try await offPool { try hosts[2].fleetProblem() } != nil, "h3 did not say it was cut off")
                        try await offPool { try network.restoreDatabase() }
                        let rejoined = try await eventuallyOffPool(within: 60) {
                            try hosts[2].readyAndShared() && Self.peer("h3", in: try hosts[0].json("/v1/fleet"))?["stale"] as? Bool == false
                        }
                        #expect(rejoined, "h3 did not rejoin")
                    }
                }
            }
        }
    }
}

/// A network namespace joined to this one by a veth pair: the database and the simulator listen
/// on two addresses on this side; a blackhole route inside cuts the database's only.
struct VethNamespace: Sendable {
    let name: String
    let databaseAddress: String
    let simulatorAddress: String
    private let outside: String

    init() throws {
        let tag = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
        let subnet = "10.\(Int.random(in: 200...250)).\(Int.random(in: 1...250))"
        name = "sy-\(tag)"
        outside = "sy-\(tag)a"
        databaseAddress = "\(subnet).1"
        simulatorAddress = "\(subnet).3"
        let inside = "sy-\(tag)b"
        try Self.ip(["netns", "add", name])
        do {
            try Self.ip(["link", "add", outside, "type", "veth", "peer", "name", inside])
            try Self.ip(["link", "set", inside, "netns", name])
            try Self.ip(["addr", "add", "\(databaseAddress)/24", "dev", outside])
            try Self.ip(["addr", "add", "\(simulatorAddress)/24", "dev", outside])
            try Self.ip(["link", "set", outside, "up"])
            try Self.ip(["netns", "exec", name, "ip", "addr", "add", "\(subnet).2/24", "dev", inside])
            try Self.ip(["netns", "exec", name, "ip", "link", "set", inside, "up"])
            try Self.ip(["netns", "exec", name, "ip", "link", "set", "lo", "up"])
        } catch {
            remove()
            throw error
        }
    }

    func cutDatabase() throws { try Self.ip(["netns", "exec", name, "ip", "route", "add", "blackhole", "\(databaseAddress)/32"]) }
    func restoreDatabase() throws { try Self.ip(["netns", "exec", name, "ip", "route", "del", "blackhole", "\(databaseAddress)/32"]) }

    func remove() {
        _ = try? runProgram("/usr/sbin/ip", ["link", "del", outside])
        _ = try? runProgram("/usr/sbin/ip", ["netns", "del", name])
    }

    private static func ip(_ arguments: [String]) throws {
        let result = try runProgram("/usr/sbin/ip", arguments)
        guard result.status == 0 else { throw PostgresClusterError.failed("ip \(arguments.joined(separator: " "))", result.output) }
    }
}
