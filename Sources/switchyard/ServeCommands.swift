import ArgumentParser
import Foundation
import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator

/// Options shared by the commands that load a configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default /etc/switchyard/switchyard.yaml; the embedded default when it does not exist).")
    var config: String?

    /// The configuration, or the embedded default when no file is given and the default file is absent.
    func load() throws -> Configuration {
        let environment = ProcessInfo.processInfo.environment
        if let config { return try ConfigLoader.load(path: config) }
        let path = "/etc/switchyard/switchyard.yaml"
        if FileManager.default.fileExists(atPath: path) { return try ConfigLoader.load(path: path) }
        return try EmbeddedDefault.configuration(environment: environment)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon.")

    @OptionGroup var configOptions: ConfigOptions
    @Option(name: .long, help: "State directory (default $STATE_DIRECTORY, else /var/lib/switchyard).")
    var stateDir: String?
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default from config).")
    var logLevel: String?
    @Option(name: .long, help: ArgumentHelp("Fault injection for tests: wedge the probe scheduler after this many seconds.", visibility: .hidden))
    var debugWedgeSchedulerAfter: Double?

    func run() async throws {
        MemoryTuning.apply()
        let config: Configuration
        do { config = try configOptions.load() } catch { throw Failure.config("\(error)") }
        let logger = DaemonLogging.bootstrap(level: logLevel ?? config.logLevel.rawValue)
        logger.info("starting", metadata: ["config": "\(config.source)", "version": "\(SwitchyardVersion.current)"])
        // SIGHUP means reload; until the reload service listens, ignore it rather than die of it
        // (`systemctl reload` may come right after READY=1).
        signal(SIGHUP, SIG_IGN)
        let daemon: Daemon
        do {
            var options = DaemonOptions(stateDirOverride: stateDir, logger: logger)
            options.wedgeSchedulerAfter = debugWedgeSchedulerAfter.map { .milliseconds(Int64($0 * 1000)) }
            let source = configOptions
            options.reloadConfiguration = { try source.load() }
            options.adoptSocketActivation()
            daemon = try buildServiceGroup(config: config, options: options)
        } catch {
            throw Failure.startup("\(error)")
        }
        try await daemon.run()
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon against built-in simulated providers on loopback.")

    @Option(name: .long, help: "State directory for the demo's database and socket.")
    var stateDir: String = "/tmp/switchyard-demo"
    @Option(name: .long, help: "TCP listener, host:port (\"\" disables).")
    var tcp: String = "127.0.0.1:7464"
    @Option(name: .long, help: "Log level.")
    var logLevel: String = "info"

    func run() async throws {
        let logger = DaemonLogging.bootstrap(level: logLevel)
        let tcpAddress: HostPort?
        if tcp.isEmpty {
            tcpAddress = nil
        } else {
            guard let parsed = HostPort(parsing: tcp) else { throw ValidationError("--tcp must be host:port") }
            tcpAddress = parsed
        }
        let socket = stateDir + "/switchyard.sock"
        let fleet = SimulatorFleet(SwitchyardDaemon.Demo.simulators())
        let stateDir = self.stateDir
        try await fleet.withRunning(logger: Logger(label: "switchyard.sim", factory: { _ in SwiftLogNoOpLogHandler() })) { ports in
            let config = SwitchyardDaemon.Demo.configuration(ports: ports, tcp: tcpAddress, unixSocket: socket, stateDir: stateDir)
            // The gateway caller starts once the TCP listener accepts: a warm start is ready (its
            // routes meaningful) before the listener has bound, and its first call would be refused.
            let (tcpListening, listened) = AsyncStream<Void>.makeStream()
            let daemon: Daemon
            do {
                daemon = try buildServiceGroup(config: config, options: DaemonOptions(
                    listenerEvents: ListenerEvents(tcpBound: { _ in listened.yield(); listened.finish() }), logger: logger))
            } catch {
                throw Failure.startup("\(error)")
            }
            FileHandle.standardOutput.write(Data((SwitchyardDaemon.Demo.summary(tcp: tcpAddress, unixSocket: socket, stateDir: stateDir) + "\n\n").utf8))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await daemon.run() }
                if let tcpAddress {  // the gateway caller, once the daemon serves
                    tasks.addTask {
                        for await _ in tcpListening { break }
                        while !daemon.readiness.current.isReady { try await Task.sleep(for: .milliseconds(200)) }
                        await DemoGatewayLoop(tcp: tcpAddress).run { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
                    }
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        }
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the config and print the effective config (secrets are only ever references)."
    )

    @OptionGroup var configOptions: ConfigOptions

    func run() async throws {
        do {
            print(ConfigRenderer.render(try configOptions.load()), terminator: "")
        } catch {
            throw Failure.config("\(error)")
        }
    }
}

/// Ends the program with a message on stderr and a documented exit code.
enum Failure {
    static func config(_ message: String) -> ExitCode { exit(message, code: 1) }
    static func startup(_ message: String) -> ExitCode { exit("cannot start: \(message)", code: 1) }

    static func exit(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode(code)
    }
}
