import Foundation
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator

func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

func boundPort(_ fd: Int32) -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A listening loopback socket that never accepts, with its accept queue already full:
/// the kernel drops further SYNs, so a connect to it times out (a black-holed host, on loopback).
final class FullBacklogListener {
    let port: Int
    private var fds: [Int32] = []

    init() {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopbackAddress(port: 0)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(listener, 0)
        port = boundPort(listener)
        fds.append(listener)
        var target = loopbackAddress(port: port)
        for _ in 0..<3 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            fds.append(client)
        }
        usleep(50_000)  // let the handshakes land in the queue
    }

    deinit { for fd in fds { close(fd) } }
}

/// `openssl s_server` on loopback with a self-signed certificate made for this test.
final class SelfSignedTLSServer {
    let port: Int
    private let process = Process()
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("key.pem").path
        let cert = directory.appendingPathComponent("cert.pem").path
        try Self.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"])
        port = unusedLoopbackPort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key, "-www", "-quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Bounded wait until it accepts connections (10 s: under a full test run openssl took over 2 s).
        for _ in 0..<500 where !Self.accepts(port) { usleep(20_000) }
    }

    deinit {
        // SIGKILL: the test runner's children may inherit an ignored SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopbackAddress(port: port)
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
    }
}

/// A target on the simulator at `port`, with short timeouts for tests.
func probeTarget(port: Int, kind: ProviderKind = .openai, model: String = "m1", mode: ProbeMode = .liveness,
                 timeout: Double = 2, key: String? = nil, price: Price? = nil, task: InferenceTask = .chat,
                 configure: (inout ProbeSettings) -> Void = { _ in }) -> ProbeTarget {
    var settings = ProbeSettings()
    settings.mode = mode
    settings.timeoutSeconds = timeout
    settings.connectTimeoutSeconds = min(1, timeout)
    settings.streamIdleTimeoutSeconds = 1
    configure(&settings)
    let base = kind == .ollama || kind == .http || kind == .tgi ? "http://127.0.0.1:\(port)" : "http://127.0.0.1:\(port)/v1"
    return ProbeTarget(target: Target(provider: ProviderID("sim"), model: ModelName("m")), kind: kind, baseURL: base,
                       upstreamModel: model, apiKey: key.map(Secret.init), settings: settings, price: price, task: task)
}

/// Runs one probe against a fresh simulator with the given behaviour.
func probe(_ behavior: SimulatorBehavior, _ makeTarget: @escaping @Sendable (Int) -> ProbeTarget) async throws -> ProbeResult {
    let simulator = ProviderSimulator(name: "sim", behavior: behavior)
    return try await withSimulatorAndEngine(simulator) { port, engine in
        let target = makeTarget(port)
        return await ProberTable.prober(for: target.kind, task: target.task).probe(target, using: engine, now: SystemWallClock().now())
    }
}

/// Runs one probe of `target` (not on a simulator) with a fresh engine.
func probeDirect(_ target: ProbeTarget) async -> ProbeResult {
    await withStartedEngine { engine in
        await ProberTable.prober(for: target.kind, task: target.task).probe(target, using: engine, now: SystemWallClock().now())
    }
}

/// Runs `body` with a started engine and shuts the engine down after it, whether it returns or throws.
func withStartedEngine<Result>(_ body: (CurlEngine) async throws -> Result) async rethrows -> Result {
    let engine = CurlEngine()
    engine.start()
    defer { engine.shutdown() }
    return try await body(engine)
}

/// Runs `body` with `simulator` serving on a loopback port and a started engine; `body` gets the port and the engine.
func withSimulatorAndEngine<Result: Sendable>(_ simulator: ProviderSimulator,
                                              _ body: @escaping @Sendable (_ port: Int, _ engine: CurlEngine) async throws -> Result) async throws -> Result {
    try await SimulatorFleet([simulator]).withRunning { ports in
        try await withStartedEngine { engine in try await body(ports[simulator.name]!, engine) }
    }
}
