/// A private PostgreSQL cluster for tests: Debian's server binaries, a temporary directory,
/// a password-auth role, a free loopback port; stopped and removed when the test ends.
import Foundation
import Synchronization

/// One throwaway PostgreSQL cluster. Create it with `withPostgresCluster`, which removes it
/// however the body ends; `stop()`/`start()` let a test take the server away and bring it back.
///
/// Root cannot run postgres, so as root the server runs as `nobody` (through `runuser`): it
/// exists on every Debian system and owns no files, so nothing is created on the machine and
/// nothing of the user's is readable by the server. Run as any other user, it runs as that user.
///
/// Nothing is left running, even if the test process dies: a watchdog (`sh` in its own session)
/// reads a socket whose only other end is this process's; when that end closes, by `remove()` or by
/// the process's death, the watchdog stops the server and deletes the directory. The server's
/// programs are started with `CleanSpawn`, so the server holds no descriptor of this process.
public final class PostgresCluster: Sendable {
    /// The role the tests connect as, with `password`.
    public static let role = "switchyard"

    /// The temporary directory: data, socket, log, password file.
    public let directory: String
    /// The TCP port the server listens on (fixed for the cluster's life, so a restart keeps URLs valid).
    public let port: Int
    /// The role's password (random per cluster).
    public let password: String
    /// Where the server listens (default 127.0.0.1; a comma-separated list for more than one address).
    public let listenAddress: String
    /// The directory of initdb, pg_ctl, psql.
    public let binDirectory: String

    private let watchdog: pid_t
    /// This end of the watchdog's socket pair (close-on-exec: no child of ours holds it).
    private let watchdogInput: Int32
    private let removed = Mutex(false)

    /// A `postgres://` URL for `database` (default `postgres`), with the role and its password, to
    /// `host` (default: the first listen address).
    public func url(database: String = "postgres", host: String? = nil) -> String {
        let first = listenAddress.split(separator: ",").first.map(String.init) ?? "127.0.0.1"
        return "postgres://\(Self.role):\(password)@\(host ?? first):\(port)/\(database)"
    }

    /// The default URL (database `postgres`).
    public var url: String { url() }

    /// The postmaster's process id while it runs, from `postmaster.pid`.
    public var serverPID: Int32? {
        guard let text = try? String(contentsOfFile: "\(directory)/data/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first else { return nil }
        return Int32(first)
    }

    /// The server's log so far (for failure messages).
    public var log: String { (try? String(contentsOfFile: "\(directory)/postgres.log", encoding: .utf8)) ?? "" }

    private init(directory: String, port: Int, password: String, listenAddress: String, binDirectory: String,
                 watchdog: pid_t, watchdogInput: Int32) {
        self.directory = directory
        self.port = port
        self.password = password
        self.listenAddress = listenAddress
        self.binDirectory = binDirectory
        self.watchdog = watchdog
        self.watchdogInput = watchdogInput
    }

    /// Creates the directory, runs initdb, arms the watchdog and starts the server, ready for
    /// connections. Blocking: `withPostgresCluster` calls it off the cooperative pool.
    public static func create(listenAddress: String = "127.0.0.1") throws -> PostgresCluster {
        let bin = try findBinDirectory()
        let directory = "/tmp/sy-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let password = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let (watchdog, input): (pid_t, Int32)
        do {
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
            try password.write(toFile: "\(directory)/password", atomically: false, encoding: .utf8)
            try handOver(directory)
            (watchdog, input) = try armWatchdog(directory: directory, bin: bin)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        var cluster: PostgresCluster?
        do {
            try run(asServerUser(["\(bin)/initdb", "-D", "\(directory)/data", "-U", role, "--pwfile=\(directory)/password",
                                  "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "-N"]), in: directory)
            // initdb allows only loopback hosts; a partition test reaches the server over a veth address.
            let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/data/pg_hba.conf"))
            try hba.seekToEnd()
            try hba.write(contentsOf: Data("host all all 0.0.0.0/0 scram-sha-256\n".utf8))
            try hba.close()
            var lastError: (any Error)?
            for _ in 0..<5 {
                let made = PostgresCluster(directory: directory, port: unusedLoopbackPort(), password: password,
                                           listenAddress: listenAddress, binDirectory: bin, watchdog: watchdog, watchdogInput: input)
                do {
                    try made.start()
                    cluster = made
                    break
                } catch { lastError = error }  // most likely the port was taken between choosing and binding
            }
            guard let cluster else { throw lastError ?? PostgresClusterError.failed("start", "no attempt") }
            return cluster
        } catch {
            close(input)
            _ = CleanSpawn.wait(watchdog)
            throw error
        }
    }

    /// Starts the server (again) on the same port and waits until it accepts connections.
    public func start() throws {
        let options = "-p \(port) -c listen_addresses=\(listenAddress) -k \(directory) -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try Self.run(Self.asServerUser(["\(binDirectory)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/postgres.log",
                                        "-w", "-t", "60", "-o", options, "start"]), in: directory, log: log)
    }

    /// Stops the server (fast shutdown: open connections are cut) and waits until it is gone.
    public func stop() throws {
        try Self.run(Self.asServerUser(["\(binDirectory)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "-t", "60", "stop"]), in: directory)
    }

    /// Runs SQL through psql as the test role and returns its unaligned output (one row a line).
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let result = try runProgram("\(binDirectory)/psql", [url(database: database), "-X", "-v", "ON_ERROR_STOP=1", "-Atc", sql])
        guard result.status == 0 else { throw PostgresClusterError.failed("psql", result.output) }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server and deletes the directory (through the watchdog); waits until both are done.
    /// Safe to call twice.
    public func remove() {
        let first = removed.withLock { done in defer { done = true }; return !done }
        guard first else { return }
        close(watchdogInput)
        _ = CleanSpawn.wait(watchdog)
    }

    // MARK: - Processes

    private static func findBinDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/pg_ctl") {
            return "\(root)/\(version)/bin"
        }
        throw PostgresClusterError.notInstalled
    }

    private static var isRoot: Bool { getuid() == 0 }

    /// As root, the directory goes to `nobody`; otherwise it stays ours.
    private static func handOver(_ directory: String) throws {
        guard isRoot else { return }
        for path in [directory, "\(directory)/password"] where chown(path, 65534, 65534) != 0 {
            throw PostgresClusterError.failed("chown \(path)", String(cString: strerror(errno)))
        }
    }

    private static func asServerUser(_ command: [String]) -> [String] {
        isRoot ? ["/usr/sbin/runuser", "-u", "nobody", "--"] + command : command
    }

    private static func run(_ command: [String], in directory: String, log: @autoclosure () -> String = "") throws {
        let result = try CleanSpawn.run(command, outputPath: "\(directory)/command.out")
        guard result.status == 0 else {
            throw PostgresClusterError.failed(URL(fileURLWithPath: command.first { $0.contains("/bin/") } ?? command[0]).lastPathComponent,
                                              result.output + log())
        }
    }

    /// A shell in its own session that waits for EOF on its stdin, then stops the server and
    /// deletes the directory; returns its pid and this end of its socket pair.
    private static func armWatchdog(directory: String, bin: String) throws -> (pid_t, Int32) {
        let stop = asServerUser(["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "-t", "60", "stop"])
            .map { "'\($0)'" }.joined(separator: " ")
        let script = "cat >/dev/null; if [ -f '\(directory)/data/postmaster.pid' ]; then \(stop) >/dev/null 2>&1; fi; rm -rf '\(directory)'"
        // A socket pair rather than a pipe: it can be made close-on-exec atomically.
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw PostgresClusterError.failed("socketpair", String(cString: strerror(errno)))
        }
        defer { close(ends[0]) }
        do {
            let pid = try CleanSpawn.start(["/bin/sh", "-c", script], stdin: ends[0], outputPath: "/dev/null", newSession: true)
            return (pid, ends[1])
        } catch {
            close(ends[1])
            throw error
        }
    }
}

/// Why a cluster could not be made or driven.
public enum PostgresClusterError: Error, CustomStringConvertible {
    case notInstalled
    case failed(String, String)

    public var description: String {
        switch self {
        case .notInstalled: "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql; `make deps` does)"
        case .failed(let step, let output): "\(step) failed: \(output)"
        }
    }
}

/// Runs `body` with a fresh cluster, then stops it and deletes its directory, whether the body
/// returns or throws.
public func withPostgresCluster<T>(listenAddress: String = "127.0.0.1", _ body: (PostgresCluster) async throws -> T) async throws -> T {
    let cluster = try await offPool { try PostgresCluster.create(listenAddress: listenAddress) }
    do {
        let value = try await body(cluster)
        try await offPool { cluster.remove() }
        return value
    } catch {
        try? await offPool { cluster.remove() }
        throw error
    }
}
