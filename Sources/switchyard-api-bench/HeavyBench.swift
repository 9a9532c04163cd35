import ArgumentParser
import Foundation
import Synchronization

/// Route latency while the heavy reads are hammered (`bench/heavy_reads.sh`): first routes
/// alone, then routes while other connections fetch every history page (following `next`),
/// `/metrics` and the status page back to back; the daemon's RSS is sampled throughout.
struct Heavy: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Route p50/p99 alone and while history, metrics and the status page are hammered; daemon RSS.")

    @Option(help: "Unix socket path of the daemon.") var unix: String
    @Option(help: "The daemon's process id (RSS from /proc).") var pid: Int32
    @Option(help: "Route request path.") var route = "/v1/route?model=model-0"
    @Option(help: "First history page path.") var history: String
    @Option(help: "Connections sending route queries.") var routeConnections = 4
    @Option(help: "Connections cycling history (all pages), /metrics and /.") var heavyConnections = 6
    @Option(help: "Seconds measured per phase.") var seconds = 30.0
    @Option(help: "Seconds of warm-up (not measured) before each phase.") var warmup = 3.0

    /// What the heavy connections got, per kind of read.
    private final class HeavyTally: Sendable {
        struct Kind { var ok = 0; var busy = 0; var other = 0; var bytes = 0; var slowestMs = 0.0; var totalMs = 0.0 }
        let kinds = Mutex<[String: Kind]>([:])
        let stop = Atomic<Bool>(false)
        let failures = Mutex<[String]>([])

        func record(_ kind: String, status: Int, bytes: Int, ms: Double) {
            kinds.withLock { all in
                var entry = all[kind] ?? Kind()
                switch status {
                case 200: entry.ok += 1
                case 503: entry.busy += 1
                default: entry.other += 1
                }
                entry.bytes += bytes
                entry.slowestMs = max(entry.slowestMs, ms)
                entry.totalMs += ms
                all[kind] = entry
            }
        }
    }

    func run() throws {
        let endpoint = BenchEndpoint.unix(path: unix)
        let sampler = RSSSampler(pid: pid)
        sampler.start()
        print("client: switchyard-api-bench heavy, \(endpoint); \(routeConnections) route connections, \(heavyConnections) heavy connections, \(seconds) s per phase after \(warmup) s warm-up")
        print("route: GET \(route); history: \(history) and every next page; /metrics; /")
        let alone = try LoadRun(endpoint: endpoint, path: route, connections: routeConnections, warmupSeconds: warmup, seconds: seconds).run()
        let rssAlone = sampler.peakAndReset()

        let tally = HeavyTally()
        let done = DispatchGroup()
        for index in 0..<heavyConnections {
            done.enter()
            let thread = Thread { [history] in
                defer { done.leave() }
                do {
                    let connection = try KeepAliveConnection(endpoint)
                    var turn = index
                    while !tally.stop.load(ordering: .relaxed) {
                        switch turn % 3 {
                        case 0: try Self.allHistoryPages(from: history, on: connection, tally: tally)
                        case 1: try Self.timed("metrics", "/metrics", on: connection, tally: tally)
                        default: try Self.timed("status page", "/", on: connection, tally: tally)
                        }
                        turn += 1
                    }
                } catch {
                    tally.failures.withLock { $0.append("\(error)") }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        let loaded = try LoadRun(endpoint: endpoint, path: route, connections: routeConnections, warmupSeconds: warmup, seconds: seconds).run()
        tally.stop.store(true, ordering: .relaxed)
        done.wait()
        let rssLoaded = sampler.peakAndReset()
        sampler.stop()

        print("")
        print("phase                     route qps  p50 ms  p99 ms  p99.9 ms  max ms  errors  daemon RSS peak")
        for (name, result, rss) in [("routes alone", alone, rssAlone), ("routes + heavy reads", loaded, rssLoaded)] {
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%9d  %6.3f  %6.3f  %8.3f  %6.2f  %6d  %d MiB", Int(result.qps.rounded()),
                         result.percentileMs(0.5), result.percentileMs(0.99), result.percentileMs(0.999),
                         Double(result.latencies.last ?? 0) / 1e6, result.errors, rss / 1024))
        }
        print("")
        print("heavy read               answers  503 busy  other  mean ms  max ms  MiB read")
        for (kind, entry) in tally.kinds.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            let answers = entry.ok + entry.busy + entry.other
            print(kind.padding(toLength: 25, withPad: " ", startingAt: 0) + String(format: "%7d  %8d  %5d  %7.1f  %6.1f  %8.1f", entry.ok, entry.busy, entry.other,
                         entry.totalMs / Double(max(answers, 1)), entry.slowestMs, Double(entry.bytes) / 1_048_576))
        }
        if let failure = tally.failures.withLock({ $0.first }) { print("a heavy connection failed: \(failure)") }
        print("daemon VmHWM (peak RSS of the whole run): \(RSSSampler.field("VmHWM", pid: pid) / 1024) MiB")
    }

    /// One request, timed and tallied; the body when it is wanted.
    @discardableResult
    private static func timed(_ kind: String, _ path: String, on connection: KeepAliveConnection, tally: HeavyTally, keepBody: Bool = false) throws -> [UInt8] {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: switchyard-api-bench\r\n\r\n".utf8)
        let before = monotonicNanoseconds()
        let (status, body) = try connection.exchange(request, keepBody: true)
        tally.record(kind, status: status, bytes: body.count, ms: Double(monotonicNanoseconds() - before) / 1e6)
        return status == 200 && keepBody ? body : []
    }

    /// Every page of a history answer, following `next`.
    private static func allHistoryPages(from first: String, on connection: KeepAliveConnection, tally: HeavyTally) throws {
        var path: String? = first
        var pages = 0
        while let current = path, !tally.stop.load(ordering: .relaxed), pages < 1000 {
            let body = try timed("history page", current, on: connection, tally: tally, keepBody: true)
            guard !body.isEmpty else { return }  // 503: try again on a later turn
            let answer = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            path = answer?["next"] as? String
            pages += 1
        }
    }
}

/// Samples a process's VmRSS every 50 ms on its own thread and keeps the peak.
final class RSSSampler: Sendable {
    let pid: Int32
    private let peak = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)

    init(pid: Int32) { self.pid = pid }

    func start() {
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                peak.max(Self.field("VmRSS", pid: pid), ordering: .relaxed)
                usleep(50_000)
            }
        }
        thread.start()
    }

    func stop() { running.store(false, ordering: .relaxed) }

    /// The peak (KiB) since the last call.
    func peakAndReset() -> Int { peak.exchange(Self.field("VmRSS", pid: pid), ordering: .relaxed) }

    /// A `kB` field of /proc/PID/status, in KiB.
    static func field(_ name: String, pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
