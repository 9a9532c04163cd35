import Foundation

/// The Markdown the README quotes: the machine, both sides, the ratio, the hung phase.
struct BenchSummary {
    var ours: LoadReport
    var theirs: LoadReport
    var hung: LoadReport
    var targets: Int
    var interval: Double
    var hungTargets: Int

    var markdown: String {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        let ratio = ours.cpuPerThousandProbes > 0 ? theirs.cpuPerThousandProbes / ours.cpuPerThousandProbes : 0
        func failures(_ report: LoadReport) -> String {
            report.failures.isEmpty ? "0" : report.failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        return """
        Machine: \(Self.machine()), \(ProcessInfo.processInfo.activeProcessorCount) CPUs (nproc); \(Self.date())

        \(targets) liveness targets (`GET /v1/models`) every \(f(interval, 0)) s on \(Set(ours.failures.keys).isEmpty ? "" : "")loopback simulators, measured over \(f(ours.windowSeconds, 1)) s after a warm-up:

        | | Switchyard | blackbox_exporter |
        |---|---:|---:|
        | probes in the window | \(ours.probes) | \(theirs.probes) |
        | failed probes | \(failures(ours)) | \(failures(theirs)) (HTTP to the exporter) |
        | CPU seconds in the window | \(f(ours.cpuSeconds, 3)) | \(f(theirs.cpuSeconds, 3)) |
        | **CPU seconds per 1,000 probes** | **\(f(ours.cpuPerThousandProbes, 3))** | **\(f(theirs.cpuPerThousandProbes, 3))** |
        | RSS at the end / peak (MiB) | \(f(ours.rssMiB, 1)) / \(f(ours.peakRSSMiB, 1)) | \(f(theirs.rssMiB, 1)) / \(f(theirs.peakRSSMiB, 1)) |
        | scheduling lateness p50 / p99 / max (ms) | \(f(ours.latenessP50Ms)) / \(f(ours.latenessP99Ms)) / \(f(ours.latenessMaxMs)) | (driven by the harness) |

        Ratio: blackbox_exporter spends **\(f(ratio, 1))×** the CPU of Switchyard per 1,000 probes.

        With \(hungTargets) more targets on a provider that hangs every request (\(f(hung.windowSeconds, 1)) s window), the \(targets) others:
        \(hung.probes) probes, lateness p50 / p99 / max **\(f(hung.latenessP50Ms)) / \(f(hung.latenessP99Ms)) / \(f(hung.latenessMaxMs)) ms**, \
        CPU \(f(hung.cpuPerThousandProbes, 3)) s per 1,000 probes, RSS \(f(hung.rssMiB, 1)) MiB (peak \(f(hung.peakRSSMiB, 1))), failures: \(failures(hung)).
        """
    }

    private static func machine() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    }

    private static func date() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }
}
