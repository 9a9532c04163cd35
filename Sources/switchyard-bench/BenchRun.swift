import ArgumentParser
import Foundation
import SwitchyardTestSupport

/// Orchestrates a whole run: simulators and blackbox_exporter on loopback, then the
/// side-by-side phase and the hung-provider phase, then a Markdown summary.
struct BenchRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the whole benchmark and print the figures as Markdown.")
    @Option(help: "Number of targets.") var targets = 1000
    @Option(help: "Probe interval per target, seconds.") var interval = 10.0
    @Option(help: "Measured window of the side-by-side phase, seconds.") var window = 60.0
    @Option(help: "Measured window of the hung-provider phase, seconds.") var hungWindow = 30.0
    @Option(help: "Seconds before each measured window.") var warmup = 12.0
    @Option(help: "Simulator processes serving the targets.") var simulators = 4
    @Option(help: "Targets on the provider that hangs every request.") var hungTargets = 20
    @Option(help: "The blackbox_exporter binary.") var blackbox = "/usr/bin/prometheus-blackbox-exporter"

    func run() async throws {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let children = Children()
        defer { children.killAll() }
        var ports: [Int] = []
        for index in 0..<simulators {
            ports.append(try children.startSimulator(directory + "/switchyard-sim", ["--name", "sim\(index)", "--models", "m", "--latency-ms", "1"]))
        }
        let hungPort = try children.startSimulator(directory + "/switchyard-sim", ["--name", "hung", "--models", "m", "--fault", "hang"])
        let (exporterPort, exporterPid) = try children.startBlackbox(blackbox)
        let portText = ports.map(String.init).joined(separator: ",")
        let common = ["--ports", portText, "--targets", "\(targets)", "--interval", "\(interval)", "--warmup", "\(warmup)"]
        let me = CommandLine.arguments[0]

        FileHandle.standardError.write(Data("phase 1: \(targets) targets every \(interval) s, Switchyard and blackbox_exporter side by side, \(window) s window\n".utf8))
        let daemon = try children.launch(me, ["daemon"] + common + ["--window", "\(window)"])
        let driver = try children.launch(me, ["blackbox-driver"] + common + ["--window", "\(window)", "--blackbox-port", "\(exporterPort)", "--blackbox-pid", "\(exporterPid)"])
        let ours = try children.report(daemon)
        let theirs = try children.report(driver)

        FileHandle.standardError.write(Data("phase 2: the same targets plus \(hungTargets) on a provider that hangs every request, \(hungWindow) s window\n".utf8))
        let hung = try children.report(try children.launch(me, ["daemon"] + common + ["--window", "\(hungWindow)", "--hung-port", "\(hungPort)", "--hung-targets", "\(hungTargets)"]))
        print(BenchSummary(ours: ours, theirs: theirs, hung: hung, targets: targets, interval: interval, hungTargets: hungTargets).markdown)
    }
}

/// Child processes of a run; all killed (by their pid) when the run ends.
final class Children {
    private var processes: [Process] = []

    /// Starts `switchyard-sim --port 0` and returns the port it printed.
    func startSimulator(_ path: String, _ arguments: [String]) throws -> Int {
        let pipe = Pipe()
        let process = try start(path, ["--port", "0"] + arguments, stdout: pipe)
        var text = ""
        while !text.contains("\n") {
            let data = pipe.fileHandleForReading.availableData
            guard !data.isEmpty else { throw ValidationError("simulator \(arguments) exited") }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let port = text.split(separator: "\n").first?.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw ValidationError("simulator printed no port: \(text)")
        }
        _ = process
        return port
    }

    /// Starts blackbox_exporter on a free loopback port with an HTTP module; waits until it listens.
    func startBlackbox(_ path: String) throws -> (port: Int, pid: Int32) {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-bench-blackbox.yml")
        try Data("""
        modules:
          http_2xx:
            prober: http
            timeout: 5s
            http:
              preferred_ip_protocol: ip4
              ip_protocol_fallback: false
        """.utf8).write(to: config)
        let port = unusedLoopbackPort()
        let process = try start(path, ["--config.file=\(config.path)", "--web.listen-address=127.0.0.1:\(port)"], stdout: nil)
        for _ in 0..<250 where !accepts(port) { usleep(20_000) }
        guard accepts(port) else { throw ValidationError("blackbox_exporter did not start on 127.0.0.1:\(port)") }
        return (port, process.processIdentifier)
    }

    /// Launches a measured side; its one-line JSON report is read by `report`.
    func launch(_ path: String, _ arguments: [String]) throws -> (Process, Pipe) {
        let pipe = Pipe()
        return (try start(path, arguments, stdout: pipe), pipe)
    }

    func report(_ child: (Process, Pipe)) throws -> LoadReport {
        let data = child.1.fileHandleForReading.readDataToEndOfFile()
        child.0.waitUntilExit()
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw ValidationError("a benchmark side printed no report")
        }
        return try JSONDecoder().decode(LoadReport.self, from: Data(line.utf8))
    }

    func killAll() {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func start(_ path: String, _ arguments: [String], stdout: Pipe?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        return process
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func accepts(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
}
