import ArgumentParser
import Foundation
import SwitchyardConfig
import SwitchyardCore

/// `switchyard-bench`: measures the probe engine at scale against simulated providers,
/// side by side with Prometheus blackbox_exporter probing the same endpoints.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-bench",
        abstract: "Probe-engine benchmark: CPU per 1,000 probes, RSS, scheduling lateness, versus blackbox_exporter.",
        subcommands: [BenchRun.self, DaemonSide.self, BlackboxSide.self],
        defaultSubcommand: BenchRun.self
    )
}

/// Options shared by the two measured sides.
struct LoadOptions: ParsableArguments {
    @Option(help: "Simulator ports, comma-separated.") var ports: String
    @Option(help: "Number of targets.") var targets = 1000
    @Option(help: "Probe interval per target, seconds.") var interval = 10.0
    @Option(help: "Seconds before the measured window (start-up spread).") var warmup = 12.0
    @Option(help: "Measured window, seconds.") var window = 60.0

    var portList: [Int] { ports.split(separator: ",").compactMap { Int($0) } }
}

/// The Switchyard side: the probe scheduler, libcurl engine, health book and metrics, in this process.
struct DaemonSide: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Probe the simulators and print a JSON report.")
    @OptionGroup var load: LoadOptions
    @Option(help: "Port of a simulator that hangs every request.") var hungPort: Int?
    @Option(help: "Targets on the hanging simulator (their own lateness is not reported).") var hungTargets = 0
    @Option(help: "Daemon sinks fed: none (the engine alone), health, metrics, all.") var sinks = "all"
    @Flag(help: "Give each target its own API key, so no two share a model-list fetch (the probe path as before sharing).")
    var unshared = false

    func run() async throws {
        var targets = ProbeLoad.targets(ports: load.portList, count: load.targets, interval: load.interval)
        if unshared { for index in targets.indices { targets[index].apiKey = Secret("bench-\(index)") } }
        if let hungPort, hungTargets > 0 {
            targets += ProbeLoad.targets(ports: [hungPort], count: hungTargets, interval: load.interval, providerPrefix: "hung")
        }
        let report = try await ProbeLoad(
            side: hungTargets > 0 ? "switchyard+hung" : "switchyard", targets: targets, excludedFromLateness: [ProviderID("hung0")],
            warmupSeconds: load.warmup, windowSeconds: load.window, measure: { ProcessStats.current() },
            sinks: ProbeLoad.Sinks(rawValue: sinks) ?? .all
        ).run()
        print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
    }
}

/// The blackbox_exporter side: this process plays Prometheus, asking the exporter to
/// probe each target's endpoint at the same cadence; the exporter's CPU is measured.
struct BlackboxSide: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blackbox-driver", abstract: "Drive blackbox_exporter and print a JSON report of its cost.")
    @OptionGroup var load: LoadOptions
    @Option(help: "blackbox_exporter's port on 127.0.0.1.") var blackboxPort: Int
    @Option(help: "blackbox_exporter's process id.") var blackboxPid: Int32

    func run() async throws {
        let exporter = blackboxPort
        let targets = ProbeLoad.targets(ports: load.portList, count: load.targets, interval: load.interval, providerPrefix: "bb",
                                        url: { "http://127.0.0.1:\(exporter)/probe?module=http_2xx&target=http://127.0.0.1:\($0)/v1/models" },
                                        kind: .http)
        let pid = blackboxPid
        let report = try await ProbeLoad(
            side: "blackbox_exporter", targets: targets, warmupSeconds: load.warmup, windowSeconds: load.window,
            measure: { ProcessStats.read(pid: pid) }
        ).run()
        print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
    }
}
