import Foundation

/// CPU seconds of a PostgreSQL server's processes, from `/proc`: the postmaster (with the CPU of
/// the children it has reaped, so exited autovacuum workers still count) plus every live child.
/// Other clusters on the machine (other tests' servers) are not counted: only the tree of `postmaster`.
public enum ProcCPU {
    /// One `/proc/PID/stat` line, the fields this needs.
    public struct Stat: Equatable, Sendable {
        public var pid: Int32
        public var command: String
        public var parent: Int32
        /// utime + stime, in clock ticks.
        public var ownTicks: Double
        /// cutime + cstime (waited-for children), in clock ticks.
        public var childTicks: Double
    }

    /// Parses a `/proc/PID/stat` line (the command may hold spaces and parentheses).
    public static func parse(_ line: String) -> Stat? {
        guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"),
              let pid = Int32(line[..<open].trimmingCharacters(in: .whitespaces)) else { return nil }
        let command = String(line[line.index(after: open)..<close])
        // After "(comm)": state (3), ppid (4), ... utime (14), stime (15), cutime (16), cstime (17).
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 14, let parent = Int32(fields[1]),
              let utime = Double(fields[11]), let stime = Double(fields[12]),
              let cutime = Double(fields[13]), let cstime = Double(fields[14]) else { return nil }
        return Stat(pid: pid, command: command, parent: parent, ownTicks: utime + stime, childTicks: cutime + cstime)
    }

    /// The server's CPU in ticks among `stats`: the postmaster's own and reaped children's, and its live children's own.
    public static func serverTicks(postmaster: Int32, in stats: [Stat]) -> Double {
        var total = 0.0
        for stat in stats {
            if stat.pid == postmaster { total += stat.ownTicks + stat.childTicks }
            else if stat.parent == postmaster { total += stat.ownTicks }
        }
        return total
    }

    /// Every process's stat now.
    public static func all() -> [Stat] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard Int32(entry) != nil, let line = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { return nil }
            return parse(line)
        }
    }

    /// CPU seconds the server `postmaster` has used so far.
    public static func serverSeconds(postmaster: Int32) -> Double {
        serverTicks(postmaster: postmaster, in: all()) / ticksPerSecond
    }

    /// This process's CPU seconds (user + system).
    public static func selfSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    public static var ticksPerSecond: Double { Double(sysconf(Int32(_SC_CLK_TCK))) }

    /// The 1-minute load average (`/proc/loadavg`).
    public static func loadAverage() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return Double(text.split(separator: " ").first ?? "") ?? 0
    }
}
