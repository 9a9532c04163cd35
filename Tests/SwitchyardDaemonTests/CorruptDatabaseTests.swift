import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import SwitchyardStore
import Testing

/// A corrupt state database does not stop routing: it is moved aside with a timestamp, a fresh one
/// starts, and the daemon says so in `/readyz`, the events log, the metrics and the journal.
/// A database that is merely unreachable (a full disk, a path that is not a file) is never moved.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CorruptDatabaseTests {
    /// How a real SQLite file is damaged: its header overwritten (SQLITE_NOTADB), or a page of
    /// its table overwritten (SQLITE_CORRUPT / a failed quick_check).
    enum Damage: String, CaseIterable, Sendable {
        case header, page
    }

    @Test(arguments: Damage.allCases)
    func aCorruptDatabaseIsMovedAsideAndTheDaemonServesOnAFreshOne(damage: Damage) async throws {
        try await withTemporaryDirectory { directory in
            let state = "\(directory)/state"
            let database = "\(state)/switchyard.db"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            try await offPool { try makeDamagedDatabase(at: database, damage: damage) }
            let damaged = try Data(contentsOf: URL(fileURLWithPath: database))

            let socket = "\(directory)/switchyard.sock"
            try await withStorageDaemon(stateDir: state, socket: socket, interval: "50ms", observations: 3) { daemon, logs in
                let connection = DaemonConnection(endpoint: .unixSocket(socket))
                let route = try JSONSerialization.jsonObject(with: try await connection.get("/v1/route?model=m")) as? [String: Any]
                #expect((route?["candidates"] as? [[String: Any]])?.first?["provider"] as? String == "up")

                let moved = try FileManager.default.contentsOfDirectory(atPath: state).filter { $0.hasPrefix("switchyard.db.corrupt-") }
                let name = try #require(moved.first { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }, "nothing moved aside: \(moved)")
                #expect(name.wholeMatch(of: /switchyard\.db\.corrupt-\d{8}T\d{6}Z/) != nil, "\(name)")
                #expect(try Data(contentsOf: URL(fileURLWithPath: "\(state)/\(name)")) == damaged, "the moved file is not the damaged one, byte for byte")
                #expect(try daemon.store.integrityCheck() == "ok")

                let ready = try JSONSerialization.jsonObject(with: try await connection.get("/readyz")) as? [String: Any]
                let said = try #require(ready?["database_recovered"] as? String, "readyz does not say the database was replaced")
                #expect(said.contains(name))
                #expect(ready?["storage_problem"] == nil)
                let metrics = String(decoding: try await connection.get("/metrics"), as: UTF8.self)
                #expect(metrics.contains("switchyard_store_database_recovered_total 1\n"))
                #expect(try await eventually(within: 10) {
                    String(decoding: try await connection.get("/v1/events"), as: UTF8.self).contains(#""kind":"database_recovered""#)
                }, "the events log does not show the recovery")
                let journal = logs.lines(containing: "the state database was corrupt")
                #expect(journal.count == 1)
                #expect(journal.first?.hasPrefix("error ") == true, "\(journal)")
            }
        }
    }

    /// A path the database cannot be opened at (here a directory: SQLITE_CANTOPEN) stops start-up
    /// with the error, as before; nothing is renamed.
    @Test func aDatabaseThatCannotBeOpenedIsNotMoved() async throws {
        try await withTemporaryDirectory { directory in
            let database = "\(directory)/switchyard.db"
            try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
            let config = try ConfigLoader.parse(yaml: """
                listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                providers:
                  - { name: up, kind: openai, base_url: "http://127.0.0.1:9/v1", models: [{ name: m }] }
                """, file: "faults.yaml")
            #expect(throws: (any Error).self) {
                _ = try buildServiceGroup(config: config, options: DaemonOptions(stateDirOverride: directory, shutdownSignals: [], logger: LogCapture().logger()))
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(!names.contains { $0.contains("corrupt") }, "\(names)")
            #expect(FileManager.default.fileExists(atPath: database))
        }
    }

    /// On a full disk an intact database is never taken for a corrupt one.
    @Test func anIntactDatabaseOnAFullDiskIsNotMoved() async throws {
        try await withTemporaryDirectory { directory in
            let state = "\(directory)/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            let mount = try await offPool { try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", state]) }
            try #require(mount.status == 0, "this test mounts a 2 MiB tmpfs as the state directory and needs root: \(mount.output)")
            defer { _ = try? runProgram("/bin/umount", ["-l", state]) }
            let database = "\(state)/switchyard.db"
            do { _ = try SQLiteStore(path: database) }  // an intact, current database, closed again
            let intact = try Data(contentsOf: URL(fileURLWithPath: database))
            try await offPool { fillDisk("\(state)/filler") }
            let config = try ConfigLoader.parse(yaml: """
                listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                providers:
                  - { name: up, kind: openai, base_url: "http://127.0.0.1:9/v1", models: [{ name: m }] }
                """, file: "faults.yaml")
            // It may open (reads need no space) or fail with SQLITE_FULL; either way it stays where it is.
            _ = try? buildServiceGroup(config: config, options: DaemonOptions(stateDirOverride: state, shutdownSignals: [], logger: LogCapture().logger()))
            let names = try FileManager.default.contentsOfDirectory(atPath: state)
            #expect(!names.contains { $0.contains("corrupt") }, "\(names)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == intact)
        }
    }
}

/// A real SQLite file made by the sqlite3 shell (a table over many pages), then damaged.
private func makeDamagedDatabase(at path: String, damage: CorruptDatabaseTests.Damage) throws {
    let made = try runProgram("/usr/bin/sqlite3", [path, """
        PRAGMA page_size = 4096;
        CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
        INSERT INTO filler SELECT i, printf('%0100d', i) FROM n;
        """])
    guard made.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: made.output]) }
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    switch damage {
    case .header:
        try handle.seek(toOffset: 0)  // "SQLite format 3\0" and the page size
        handle.write(Data(repeating: 0x5A, count: 100))
    case .page:
        try handle.seek(toOffset: 4096 * 3)  // the b-tree pages of the table: type byte, cell pointers, cells
        handle.write(Data((0..<4096 * 4).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
    }
}
