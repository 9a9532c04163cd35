import Foundation
import Logging
import SwitchyardClient
import SwitchyardConfig
import SwitchyardDaemon
import SwitchyardSimulator

/// A real daemon for the API tests: two simulated providers (`a`, `b`, model `m`), TCP on a
/// free loopback port and a Unix socket in a temporary directory.
struct APITestDaemon: Sendable {
    var directory: String
    var tcpPort: Int
    var daemon: Daemon
    var logs: LogCapture

    var socketPath: String { directory + "/switchyard.sock" }
    var tcpURL: String { "http://127.0.0.1:\(tcpPort)" }
    var unix: DaemonConnection { DaemonConnection(endpoint: .unixSocket(socketPath)) }
    func tcp(token: String? = nil) -> DaemonConnection { DaemonConnection(endpoint: .url(tcpURL), token: token) }

    /// Starts the daemon with `extraYAML` appended to its config (e.g. an `admin:` block), runs `body`, stops it.
    /// `simulators` replaces the two default ones (named `a` and `b`); `probeYAML` the probe settings.
    static func run(listenExtra: String = "", extraYAML: String = "", environment: [String: String] = [:],
                    simulators: [ProviderSimulator]? = nil,
                    probeYAML: String = "{ interval: 500ms, timeout: 2s, connect_timeout: 500ms, mode: completion }",
                    _ body: @Sendable (APITestDaemon) async throws -> Void) async throws {
        let fleet = SimulatorFleet(simulators ?? [
            ProviderSimulator(name: "a", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 5)),
            ProviderSimulator(name: "b", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 20)),
        ])
        let logs = LogCapture()
        try await withTemporaryDirectory { directory in
            try await fleet.withRunning(logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })) { ports in
                let yaml = """
                    listen: { tcp: "127.0.0.1:0", unix: "\(directory)/switchyard.sock"\(listenExtra) }
                    probe: \(probeYAML)
                    providers:
                      - { name: a, kind: openai, base_url: "http://127.0.0.1:\(ports["a"]!)/v1", models: [{ name: m, upstream: m-up }] }
                      - { name: b, kind: openai, base_url: "http://127.0.0.1:\(ports["b"]!)/v1", models: [{ name: m, upstream: m-up }] }
                    \(extraYAML)
                    """
                let config = try ConfigLoader.parse(yaml: yaml, file: "api-test.yaml")
                let tcpPort = Rendezvous<Int>()
                let unixReady = Rendezvous<String>()
                let daemon = try buildServiceGroup(config: config, options: DaemonOptions(
                    stateDirOverride: directory, environment: environment,
                    listenerEvents: .init(tcpBound: { tcpPort.set($0) }, unixBound: { unixReady.set($0) }),
                    shutdownSignals: [], logger: logs.logger()
                ))
                try await whileRunning(daemon) {
                    _ = await unixReady.value()
                    try await body(APITestDaemon(directory: directory, tcpPort: await tcpPort.value(), daemon: daemon, logs: logs))
                }
            }
        }
    }
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`), read to the end:
/// for checking status lines and headers that the client library does not expose.
enum RawHTTP {
    enum Address: Sendable {
        case tcp(port: Int)
        case unix(path: String)
    }

    /// Status code, headers (lowercased names) and body.
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// `rawBody`, when given, goes out as is after the head (no `Content-Length` added: e.g. a chunked body).
    static func exchange(_ address: Address, _ method: String, _ path: String, headers: [String] = [], body: String = "", rawBody: String? = nil) async throws -> Answer {
        try await offPool {
            let fd = try connectSocket(address)
            defer { close(fd) }
            var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            for header in headers { request += header + "\r\n" }
            if rawBody == nil, !body.isEmpty || method == "POST" { request += "Content-Length: \(body.utf8.count)\r\n" }
            request += "\r\n" + (rawBody ?? body)
            _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            let data = readToEnd(fd)
            let text = String(decoding: data, as: UTF8.self)
            let parts = text.components(separatedBy: "\r\n\r\n")
            let lines = parts[0].components(separatedBy: "\r\n")
            let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return Answer(status: status, headers: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
    }

    struct ConnectFailed: Error {}

    /// Everything a blocking socket receives until the other side closes.
    static func readToEnd(_ fd: Int32) -> [UInt8] {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return data }
            data += buffer[0..<count]
        }
    }

    /// A connected blocking socket.
    static func connectSocket(_ address: Address) throws -> Int32 {
        switch address {
        case .tcp(let port):
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(port).bigEndian)
            sa.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard result == 0 else { close(fd); throw ConnectFailed() }
            return fd
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var sa = sockaddr_un()
            sa.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &sa.sun_path) { raw in
                raw.copyBytes(from: Array(path.utf8))
                raw[path.utf8.count] = 0
            }
            let result = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            guard result == 0 else { close(fd); throw ConnectFailed() }
            return fd
        }
    }
}
