import Foundation
import Synchronization
import SwitchyardTestSupport

/// One fleet host: a real `switchyard serve` process (optionally inside a network namespace)
/// with a Unix socket listener, `fleet:` pointing at the harness's PostgreSQL through
/// `SWITCHYARD_PG_URL`, and one paid target probed in completion mode.
final class FleetHostProcess: @unchecked Sendable {
    let name: String
    let socket: String
    /// The config file the host reads (rewrite it, then `reload()`).
    let configPath: String
    /// The host's own SQLite database.
    let databasePath: String
    private let pid: pid_t
    private let stopped = Mutex(false)

    /// The daemon's config for host `name` of group `group`, probing `model` at `simulator` every
    /// `interval`; `providers` replaces the one paid provider, `extra` adds top-level sections.
    static func config(name: String, directory: String, simulator: String, interval: String, group: String = "g",
                       providers: String? = nil, extra: String = "") -> String {
        """
        listen: { tcp: "", unix: "\(directory)/\(name).sock" }
        probe: { interval: \(interval), timeout: 2s, connect_timeout: 500ms, mode: completion }
        fleet: { postgres: { url_env: SWITCHYARD_PG_URL }, host: \(name), group: \(group) }
        \(extra)
        providers:
        \(providers ?? Self.paidProvider(simulator: simulator))
        """
    }

    /// The one paid provider `paid` with model `m` at `simulator` (a YAML list item).
    static func paidProvider(simulator: String, name: String = "paid") -> String {
        "  - { name: \(name), kind: openai, base_url: \"http://\(simulator)/v1\", price: { per_request: 0.001 }, models: [{ name: m }] }"
    }

    /// Starts host `name`; `netns` runs it inside that network namespace (`ip netns exec`).
    init(name: String, directory: String, simulator: String, interval: String, databaseURL: String, netns: String? = nil,
         providers: String? = nil, extra: String = "") throws {
        self.name = name
        socket = "\(directory)/\(name).sock"
        configPath = "\(directory)/\(name).yaml"
        databasePath = "\(directory)/\(name)/switchyard.db"
        try Self.config(name: name, directory: directory, simulator: simulator, interval: interval, providers: providers, extra: extra)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(directory)/\(name)", withIntermediateDirectories: true)
        let serve = [buildDirectory + "/switchyard", "serve", "--config", configPath, "--state-dir", "\(directory)/\(name)", "--log-level", "info"]
        let argv = netns.map { ["/usr/sbin/ip", "netns", "exec", $0] + serve } ?? serve
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHYARD_PG_URL"] = databaseURL
        pid = try CleanSpawn.start(argv, outputPath: "\(directory)/\(name).log", environment: environment)
    }

    /// GETs `path` over the Unix socket: the HTTP status (0 when it did not answer) and the body.
    func get(_ path: String) throws -> (status: Int, body: String) {
        let result = try runProgram("/usr/bin/curl", ["-s", "-m", "2", "--unix-socket", socket, "-w", "\n%{http_code}", "http://localhost\(path)"])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// POSTs an empty body to `path` over the Unix socket (an admin call: the socket's caller is `uid:0`).
    func post(_ path: String) throws -> (status: Int, body: String) {
        let result = try runProgram("/usr/bin/curl", ["-s", "-m", "10", "-X", "POST", "--unix-socket", socket, "-w", "\n%{http_code}", "http://localhost\(path)"])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// POSTs a JSON `body` to `path` over the Unix socket.
    func post(_ path: String, json body: String) throws -> (status: Int, body: String) {
        let result = try runProgram("/usr/bin/curl", ["-s", "-m", "10", "-X", "POST", "-H", "content-type: application/json", "--data-binary", body,
                                                      "--unix-socket", socket, "-w", "\n%{http_code}", "http://localhost\(path)"])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// The provider at the top of `model`'s route (a fast GET without curl, for polling); nil when it did not answer.
    func top(_ model: String = "m") -> String? {
        let answer = UnixHTTP.get(socket, "/v1/route?model=\(model)")
        guard answer.status == 200, let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] else { return nil }
        return ((object["candidates"] as? [[String: Any]])?.first?["provider"]) as? String
    }

    /// The parsed JSON of a 2xx GET, nil otherwise.
    func json(_ path: String) throws -> [String: Any]? {
        let (status, body) = try get(path)
        guard (200..<300).contains(status) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
    }

    /// Whether `/readyz` says ready with no fleet problem.
    func readyAndShared() throws -> Bool {
        guard let ready = try json("/readyz") else { return false }
        return ready["fleet_problem"] == nil || ready["fleet_problem"] is NSNull
    }

    /// The fleet problem `/readyz` shows, if any.
    func fleetProblem() throws -> String? {
        let (_, body) = try get("/readyz")
        let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return object?["fleet_problem"] as? String
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after 10 s) and waits for it. Safe to call twice.
    func stop() {
        guard stopped.withLock({ done in defer { done = true }; return !done }) else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<200 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        _ = CleanSpawn.wait(pid)
    }
}

/// Runs `body` with the hosts `starts` make, stopping every one started however it ends.
func withHosts<T>(_ starts: [() throws -> FleetHostProcess], _ body: ([FleetHostProcess]) async throws -> T) async throws -> T {
    var hosts: [FleetHostProcess] = []
    do {
        for start in starts { hosts.append(try start()) }
        let value = try await body(hosts)
        try await offPool { [hosts] in for host in hosts { host.stop() } }
        return value
    } catch {
        try? await offPool { [hosts] in for host in hosts { host.stop() } }
        throw error
    }
}
