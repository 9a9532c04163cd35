import Foundation
import Synchronization

/// Closed-loop keep-alive load: `connections` threads, each with one connection sending
/// the same request back to back; every answer's latency is recorded after a warm-up.
struct LoadRun {
    var endpoint: BenchEndpoint
    var path: String
    var connections: Int
    var warmupSeconds: Double
    var seconds: Double
    /// A POST body; nil sends a GET.
    var body: String?
    /// Extra header lines.
    var headers: [String] = []
    /// Record the time to the first byte of the body (a stream's first event) instead of the whole answer.
    var firstByte = false

    /// What one run measured.
    struct Result {
        var requests: Int
        var errors: Int
        var seconds: Double
        /// Sorted latencies in nanoseconds.
        var latencies: [UInt64]

        var qps: Double { Double(requests) / seconds }

        func percentileMs(_ q: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            let rank = Int((q * Double(latencies.count)).rounded(.up))
            return Double(latencies[min(max(rank, 1), latencies.count) - 1]) / 1e6
        }
    }

    private final class Collected: Sendable {
        let latencies = Mutex<[[UInt64]]>([])
        let errors = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
    }

    func run() throws -> Result {
        let extra = headers.map { $0 + "\r\n" }.joined()
        let request = Array((body.map { body in
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: switchyard-api-bench\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } ?? "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: switchyard-api-bench\r\n\(extra)\r\n").utf8)
        let collected = Collected()
        let start = monotonicNanoseconds()
        let measureFrom = start + UInt64(warmupSeconds * 1e9)
        let stopAt = measureFrom + UInt64(seconds * 1e9)
        let endpoint = endpoint
        let firstByte = firstByte
        let done = DispatchGroup()
        for _ in 0..<connections {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var latencies: [UInt64] = []
                latencies.reserveCapacity(1 << 16)
                do {
                    let connection = try KeepAliveConnection(endpoint)
                    while true {
                        let before = monotonicNanoseconds()
                        if before >= stopAt { break }
                        let status = try connection.exchange(request)
                        let after = monotonicNanoseconds()
                        if before >= measureFrom {
                            if status == 200 {
                                latencies.append((firstByte && connection.firstBodyAt > 0 ? connection.firstBodyAt : after) - before)
                            } else { collected.errors.add(1, ordering: .relaxed) }
                        }
                    }
                } catch {
                    collected.failures.withLock { $0.append("\(error)") }
                }
                collected.latencies.withLock { $0.append(latencies) }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        done.wait()
        if let failure = collected.failures.withLock({ $0.first }) {
            throw KeepAliveConnection.Failure(description: "a connection failed: \(failure)")
        }
        let latencies = collected.latencies.withLock { $0.flatMap { $0 } }.sorted()
        return Result(requests: latencies.count, errors: collected.errors.load(ordering: .relaxed), seconds: seconds, latencies: latencies)
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
