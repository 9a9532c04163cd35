import Foundation
import Prometheus
import Synchronization

/// The standard `process_*` metrics every Prometheus client library exports (CPU, memory,
/// file descriptors, start time), read from /proc at scrape time. Linux only; elsewhere
/// the gauges stay at 0.
final class ProcessMetrics: Sendable {
    private let cpuSeconds: CounterFromTotal
    private let residentBytes: Gauge
    private let virtualBytes: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge

    init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "process", metricName: metric, unitName: unit, helpText: help)
        }
        cpuSeconds = CounterFromTotal(registry.makeCounter(descriptor: name("cpu_seconds", "total", "Total user and system CPU time spent in seconds.")))
        residentBytes = registry.makeGauge(descriptor: name("resident_memory", "bytes", "Resident memory size in bytes."))
        virtualBytes = registry.makeGauge(descriptor: name("virtual_memory", "bytes", "Virtual memory size in bytes."))
        openFDs = registry.makeGauge(descriptor: name("open", "fds", "Number of open file descriptors."))
        maxFDs = registry.makeGauge(descriptor: name("max", "fds", "Maximum number of open file descriptors."))
        startTime = registry.makeGauge(descriptor: name("start_time", "seconds", "Start time of the process since unix epoch in seconds."))
        // Under ProcSubset=pid (the hardened unit) /proc/stat is hidden and the boot time with it;
        // the registry is made during start-up, so its creation time is the next best start time.
        startTime.set(to: ProcessStat.startTimeSeconds() ?? Date().timeIntervalSince1970)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(to: Double(limit.rlim_cur)) }
    }

    /// Reads /proc/self once and sets every series.
    func refresh() {
        guard let stat = ProcessStat.read() else { return }
        cpuSeconds.set(total: stat.cpuSeconds)
        residentBytes.set(to: stat.residentBytes)
        virtualBytes.set(to: stat.virtualBytes)
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFDs.set(to: Double(max(entries.count - 1, 0)))  // minus the descriptor listing the directory
        }
    }
}

/// The fields of /proc/self/stat the process metrics need.
struct ProcessStat {
    var cpuSeconds: Double
    var residentBytes: Double
    var virtualBytes: Double

    static func read() -> ProcessStat? {
        guard let fields = selfStatFields(), fields.count >= 22 else { return nil }
        func field(_ number: Int) -> Double { Double(fields[number - 3]) ?? 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        return ProcessStat(
            cpuSeconds: (field(14) + field(15)) / ticks,
            residentBytes: field(24) * pageSize,
            virtualBytes: field(23)
        )
    }

    /// The fields of /proc/self/stat after "pid (comm)", so field N is at index N - 3:
    /// utime 14, stime 15, starttime 22, vsize 23, rss 24.
    private static func selfStatFields() -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// When this process started, in Unix seconds: boot time (/proc/stat) plus its start in
    /// clock ticks (field 22 of /proc/self/stat); nil when either cannot be read. Read once.
    static func startTimeSeconds() -> Double? {
        guard let boot = bootTime(), let fields = selfStatFields(), fields.count >= 22, let ticks = Double(fields[22 - 3]) else { return nil }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix("btime ") }
        return line.flatMap { Double($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
    }
}

/// A counter fed from a running total kept elsewhere (the writer's error count, the
/// kernel's CPU time): each scrape adds what the total grew by since the last one.
final class CounterFromTotal: Sendable {
    private let counter: Counter
    private let counted = Mutex<Double>(0)

    init(_ counter: Counter) { self.counter = counter }

    func set(total: Double) {
        let delta = counted.withLock { counted -> Double in
            let delta = max(total - counted, 0)
            counted += delta
            return delta
        }
        if delta > 0 { counter.increment(by: delta) }
    }
}
