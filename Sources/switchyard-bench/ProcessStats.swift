import Foundation

/// CPU time and memory of a process, read from `/proc` (Linux), so the harness measures
/// the daemon and blackbox_exporter the same way.
struct ProcessStats: Codable, Sendable {
    /// User plus system CPU seconds since the process started.
    var cpuSeconds: Double
    /// Resident set size now, and its peak (`VmHWM`), in MiB.
    var rssMiB: Double
    var peakRSSMiB: Double

    /// Reads `/proc/PID/stat` and `/proc/PID/status`; nil when the process is gone.
    static func read(pid: Int32) -> ProcessStats? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        func kib(_ key: String) -> Double {
            let line = status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
            return Double(line?.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return ProcessStats(cpuSeconds: (utime + stime) / ticks, rssMiB: kib("VmRSS") / 1024, peakRSSMiB: kib("VmHWM") / 1024)
    }

    /// This process, with microsecond CPU resolution (getrusage).
    static func current() -> ProcessStats {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        let proc = read(pid: getpid())
        return ProcessStats(cpuSeconds: cpu, rssMiB: proc?.rssMiB ?? 0, peakRSSMiB: proc?.peakRSSMiB ?? 0)
    }
}

/// The p-th percentile (0...100) of `values`, nearest rank; 0 when empty.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
