import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import SwitchyardStore
import Testing

/// The database stops accepting writes (disk full, another process holding the lock): the
/// daemon keeps routing from memory, says so once per interval in the log and in `/readyz`,
/// and resumes writing by itself when the database is writable again.
@Suite(.serialized, .timeLimit(.minutes(10))) struct StorageFaultTests {
    @Test func aFullDiskKeepsRoutingAndWritingResumesWhenSpaceReturns() async throws {
        try await withTemporaryDirectory { directory in
            let state = "\(directory)/state"
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            let mount = try await offPool { try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", state]) }
            try #require(mount.status == 0, "this test mounts a 6 MiB tmpfs as the state directory and needs root: \(mount.output)")
            defer { _ = try? runProgram("/bin/umount", ["-l", state]) }

            try await withStorageDaemon(stateDir: state, socket: "\(directory)/switchyard.sock", interval: "20ms", observations: 10) { daemon, logs in
                let filler = "\(state)/filler"
                try await offPool { fillDisk(filler) }
                let failing = try await eventuallyOffPool(within: 30) { daemon.writer.currentProblem != nil }
                try #require(failing, "writes never failed on a full disk")
                let countWhileFull = try daemon.store.observationCount()
                try await assertServingFromMemory(daemon, socket: "\(directory)/switchyard.sock", problem: "full")
                // Many batches failed; the log said so once.
                _ = try await eventuallyOffPool(within: 5) { daemon.writer.writeErrors >= 3 }
                #expect(daemon.writer.writeErrors >= 3)
                #expect(logs.lines(containing: "cannot write the state database").count == 1)

                try FileManager.default.removeItem(atPath: filler)
                let resumed = try await eventuallyOffPool(within: 30) {
                    let count = try daemon.store.observationCount()
                    return daemon.writer.currentProblem == nil && count > countWhileFull
                }
                #expect(resumed, "writing did not resume after space returned")
                #expect(daemon.readiness.current.storageProblem == nil)
                #expect(logs.lines(containing: "state database writable again").count == 1)
                #expect(try daemon.store.integrityCheck() == "ok")
            }
        }
    }

    @Test func aDatabaseLockedByAnotherProcessIsWaitedForThenReportedAndServingContinues() async throws {
        try await withTemporaryDirectory { directory in
            try await withStorageDaemon(stateDir: directory, socket: "\(directory)/switchyard.sock", interval: "20ms", busyTimeout: "400ms", observations: 10) { daemon, logs in
                // The sqlite3 shell takes the write lock and holds it until told otherwise.
                let holder = Process()
                holder.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
                holder.arguments = [daemon.paths.databasePath]
                let input = Pipe(), output = Pipe()
                holder.standardInput = input
                holder.standardOutput = output
                try holder.run()
                defer { if holder.isRunning { holder.terminate() } }
                input.fileHandleForWriting.write(Data("BEGIN EXCLUSIVE;\nSELECT 'holding';\n".utf8))
                #expect(try await offPool { readLine(from: output) } == "holding")
                let lockedAt = ContinuousClock.now

                let failing = try await eventuallyOffPool(within: 30) { daemon.writer.currentProblem != nil }
                try #require(failing, "writes never failed while the database was locked")
                #expect(ContinuousClock.now - lockedAt >= .milliseconds(400), "reported before the busy timeout passed")
                #expect(daemon.writer.currentProblem?.contains("locked") == true, "\(daemon.writer.currentProblem ?? "")")
                try await assertServingFromMemory(daemon, socket: "\(directory)/switchyard.sock", problem: "locked")
                let countWhileLocked = try daemon.store.observationCount()

                input.fileHandleForWriting.write(Data("ROLLBACK;\n.quit\n".utf8))
                try await offPool { holder.waitUntilExit() }
                let resumed = try await eventuallyOffPool(within: 30) {
                    let count = try daemon.store.observationCount()
                    return daemon.writer.currentProblem == nil && count > countWhileLocked
                }
                #expect(resumed, "writing did not resume after the lock was released")
                #expect(logs.lines(containing: "cannot write the state database").count == 1)
            }
        }
    }
}

/// Routes and health answer from memory, and `/readyz` names the storage problem.
private func assertServingFromMemory(_ daemon: Daemon, socket: String, problem: String) async throws {
    let connection = DaemonConnection(endpoint: .unixSocket(socket))
    let route = try JSONSerialization.jsonObject(with: try await connection.get("/v1/route?model=m")) as? [String: Any]
    let candidates = try #require(route?["candidates"] as? [[String: Any]])
    #expect(candidates.first?["provider"] as? String == "up")
    let ready = try JSONSerialization.jsonObject(with: try await connection.get("/readyz")) as? [String: Any]
    let reported = try #require(ready?["storage_problem"] as? String, "readyz does not show the \(problem) problem")
    #expect(reported.contains("switchyard.db"))
    #expect(ready?["ready"] as? Bool == true)
    #expect(daemon.readiness.current.storageProblem == reported)
}

/// One line from a pipe, without the newline.
private func readLine(from pipe: Pipe) -> String {
    var bytes: [UInt8] = []
    while true {
        let byte = pipe.fileHandleForReading.readData(ofLength: 1)
        guard let first = byte.first, first != UInt8(ascii: "\n") else { break }
        bytes.append(first)
    }
    return String(decoding: bytes, as: UTF8.self)
}
