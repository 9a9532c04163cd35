import Foundation
import Testing

/// The fleet tests' PostgreSQL harness: a private cluster that takes a password, survives a
/// stop and start on the same URL, and leaves no process and no directory behind.
@Suite(.timeLimit(.minutes(3))) struct PostgresClusterTests {
    private struct Planned: Error {}

    private static func isRunning(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }

    @Test func aClusterTakesItsPasswordRefusesAWrongOneAndIsGoneAfterwards() async throws {
        var seen: (pid: Int32, directory: String)?
        try await withPostgresCluster { cluster in
            #expect(try await offPool { try cluster.psql("select 1") } == "1")
            let wrong = cluster.url.replacingOccurrences(of: cluster.password, with: "wrong")
            let refused = try await offPool { try runProgram("\(cluster.binDirectory)/psql", [wrong, "-X", "-Atc", "select 1"]) }
            #expect(refused.status != 0)
            #expect(refused.output.contains("password authentication failed"))
            let pid = try #require(cluster.serverPID)
            #expect(Self.isRunning(pid))
            seen = (pid, cluster.directory)
        }
        let (pid, directory) = try #require(seen)
        #expect(!FileManager.default.fileExists(atPath: directory))
        // pg_ctl saw the server's pid file go; the process itself ends (and is reaped) moments later.
        #expect(try await eventually(within: 10) { !Self.isRunning(pid) })
    }

    @Test func aFailingTestLeavesNothingRunning() async throws {
        var seen: (pid: Int32, directory: String)?
        await #expect(throws: Planned.self) {
            try await withPostgresCluster { cluster in
                seen = (try #require(cluster.serverPID), cluster.directory)
                throw Planned()
            }
        }
        let (pid, directory) = try #require(seen)
        #expect(!FileManager.default.fileExists(atPath: directory))
        // pg_ctl saw the server's pid file go; the process itself ends (and is reaped) moments later.
        #expect(try await eventually(within: 10) { !Self.isRunning(pid) })
    }

    @Test func stopAndStartKeepTheURLAndTheData() async throws {
        try await withPostgresCluster { cluster in
            try await offPool {
                _ = try cluster.psql("create table kept (n int); insert into kept values (7)")
                try cluster.stop()
            }
            #expect(cluster.serverPID == nil)
            await #expect(throws: PostgresClusterError.self) { try await offPool { try cluster.psql("select 1") } }
            try await offPool { try cluster.start() }
            #expect(try await offPool { try cluster.psql("select n from kept") } == "7")
        }
    }

    @Test func removingAStoppedClusterStillDeletesItsDirectory() async throws {
        let cluster = try await offPool { try PostgresCluster.create() }
        try await offPool { try cluster.stop() }
        try await offPool { cluster.remove() }
        cluster.remove()
        #expect(!FileManager.default.fileExists(atPath: cluster.directory))
    }
}
