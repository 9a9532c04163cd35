import Foundation

/// A throwaway PostgreSQL server for the fleet's tests, until the shared harness (fleet-duty's
/// `PostgresCluster`) replaces it: Debian's binaries, a temp directory, a password role on a
/// free loopback port. Root cannot run postgres, so as root it runs as `nobody`.
public final class ScratchPostgres: Sendable {
    public static let role = "switchyard"
    public let directory: String
    public let port: Int
    public let password: String
    private let bin: String

    /// `postgres://switchyard:PASSWORD@127.0.0.1:PORT/postgres`.
    public var url: String { "postgres://\(Self.role):\(password)@127.0.0.1:\(port)/postgres" }

    private init(directory: String, port: Int, password: String, bin: String) {
        self.directory = directory
        self.port = port
        self.password = password
        self.bin = bin
    }

    /// initdb and start; blocking (call it through `offPool`).
    public static func create() throws -> ScratchPostgres {
        let bin = "/usr/lib/postgresql/15/bin"
        let directory = "/tmp/sy-fleet-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let password = "pw" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20)
        try password.write(toFile: "\(directory)/pw", atomically: false, encoding: .utf8)
        if getuid() == 0 { _ = try runProgram("/bin/chown", ["-R", "nobody:nogroup", directory]) }
        let server = ScratchPostgres(directory: directory, port: unusedLoopbackPort(), password: password, bin: bin)
        try server.run(["\(bin)/initdb", "-D", "\(directory)/data", "-U", role, "--pwfile=\(directory)/pw",
                        "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "-N"])
        try server.start()
        return server
    }

    /// Starts the server (again) on its port.
    public func start() throws {
        try run(["\(bin)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "60", "-o",
                 "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off", "start"])
    }

    /// Stops it (open connections are cut).
    public func stop() throws {
        try run(["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Runs SQL as the role; returns the unaligned rows.
    public func psql(_ sql: String) throws -> String {
        let result = try runProgram("\(bin)/psql", [url, "-X", "-v", "ON_ERROR_STOP=1", "-Atc", sql])
        guard result.status == 0 else { throw Failure(description: "psql: \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server and deletes its directory.
    public func remove() {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `command` (as `nobody` under root) through python3, which closes every inherited
    /// descriptor but 0-2 in the child: the server `pg_ctl start` leaves behind must not hold
    /// a copy of this process's pipes (or sockets), or reading the output never ends.
    private func run(_ command: [String]) throws {
        let asServer = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "nobody", "--"] + command : command
        let spawn = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL, close_fds=True))"
        let result = try runProgram("/usr/bin/python3", ["-c", spawn] + asServer, directory: "/")
        guard result.status == 0 else { throw Failure(description: "\(command[0]) failed: \(result.output)") }
    }

    public struct Failure: Error, CustomStringConvertible { public var description: String }
}

/// Runs `body` with a fresh server, removed however `body` ends.
public func withScratchPostgres<T>(_ body: (ScratchPostgres) async throws -> T) async throws -> T {
    let server = try await offPool { try ScratchPostgres.create() }
    do {
        let value = try await body(server)
        try? await offPool { server.remove() }
        return value
    } catch {
        try? await offPool { server.remove() }
        throw error
    }
}
