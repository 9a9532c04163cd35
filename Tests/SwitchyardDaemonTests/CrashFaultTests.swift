import Foundation
import Synchronization
import SwitchyardClient
import SwitchyardSimulator
import SwitchyardStore
import SwitchyardCore
import Testing

/// `kill -9` of the real daemon binary at random moments while it writes probe results and
/// clients POST reports: after every kill the file is intact, nothing committed before is
/// gone, every report answered 2xx is stored, and compacted raw and rollup blocks agree
/// (compaction writes them in one transaction).
@Suite(.timeLimit(.minutes(10))) struct CrashFaultTests {
    @Test func killNineAtRandomMomentsLosesNothingCommitted() async throws {
        let binary = buildDirectory + "/switchyard"
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the daemon first: swift build (\(binary))")
        let fleet = SimulatorFleet([
            ProviderSimulator(name: "a", behavior: SimulatorBehavior(models: ["m"], latencyMs: 2)),
            ProviderSimulator(name: "b", behavior: SimulatorBehavior(models: ["m"], latencyMs: 4, errorRate: 0.2)),
        ])
        try await withTemporaryDirectory { directory in
            try await fleet.withRunning { ports in
                let configPath = "\(directory)/switchyard.yaml"
                try """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 20ms, timeout: 1s, connect_timeout: 500ms }
                    providers:
                      - { name: a, kind: openai, base_url: "http://127.0.0.1:\(ports["a"]!)/v1", models: [{ name: m }, { name: m2, upstream: m }] }
                      - { name: b, kind: openai, base_url: "http://127.0.0.1:\(ports["b"]!)/v1", models: [{ name: m }, { name: m2, upstream: m }] }
                      - { name: dead, kind: openai, base_url: "http://127.0.0.1:\(unusedLoopbackPort())/v1", models: [{ name: m }] }
                    """.write(toFile: configPath, atomically: true, encoding: .utf8)
                let database = "\(directory)/switchyard.db"
                var committed = (count: 0, newest: Timestamp(secondsSinceEpoch: 0))
                let acked = Markers()
                var random = SystemRandomNumberGenerator()
                for round in 1...20 {
                    let daemon = Process()
                    daemon.executableURL = URL(fileURLWithPath: binary)
                    daemon.arguments = ["serve", "--config", configPath, "--state-dir", directory, "--log-level", "error"]
                    daemon.standardOutput = FileHandle.nullDevice
                    daemon.standardError = FileHandle.nullDevice
                    try daemon.run()
                    let seen = committed.count
                    let serving = try await eventuallyOffPool(within: 20) {
                        guard FileManager.default.fileExists(atPath: database) else { return false }
                        return (Int(try sqlite(database, "SELECT (SELECT count(*) FROM observations) + (SELECT coalesce(sum(count), 0) FROM blocks WHERE kind = 0)")) ?? 0) > seen
                    }
                    #expect(serving, "round \(round): the daemon wrote nothing new")
                    // Odd rounds kill at a random moment; even rounds right after a report is acknowledged,
                    // the moment a 2xx sent before the commit would be lost.
                    let pid = daemon.processIdentifier
                    let killOnAck = round % 2 == 0
                    let afterAck = killOnAck ? killer(pid) : nil
                    let poster = Task {
                        await postReports(socket: "\(directory)/switchyard.sock", firstMarker: round * 100_000, acked: acked, afterAck: afterAck)
                    }
                    if killOnAck {
                        for _ in 0..<200 where daemon.isRunning { try await Task.sleep(for: .milliseconds(50)) }
                    } else {
                        try await Task.sleep(for: .milliseconds(Int.random(in: 0...400, using: &random)))
                    }
                    kill(pid, SIGKILL)
                    poster.cancel()
                    await poster.value
                    try await offPool { daemon.waitUntilExit() }
                    #expect(daemon.terminationReason == .uncaughtSignal, "round \(round): the daemon exited by itself")

                    #expect(try await offPool { try sqlite(database, "PRAGMA integrity_check") } == "ok", "round \(round)")
                    // Read as the next start reads it (tail rows and compacted blocks alike).
                    let (stored, blockCounts) = try await offPool {
                        let store = try SQLiteStore(path: database)
                        let targets = ["a", "b", "dead"].flatMap { p in ["m", "m2"].map { Target(provider: ProviderID(p), model: ModelName($0)) } }
                        return (try targets.flatMap { try store.observations(of: $0, limit: 10_000_000) },
                                try sqlite(database, "SELECT group_concat(n) FROM (SELECT coalesce(sum(count), 0) AS n FROM blocks GROUP BY kind ORDER BY kind)"))
                    }
                    // Everything that started by the newest start seen last round is still there (late
                    // probes may add to it, nothing may go).
                    let stillThere = stored.filter { $0.startedAt <= committed.newest }.count
                    #expect(stillThere >= committed.count, "round \(round): \(committed.count) observations up to \(committed.newest) were committed before, \(stillThere) are left")
                    let reportMarkers = Set(stored.filter { $0.source == .report }.map { Int(($0.totalSeconds * 1000).rounded()) })
                    let missing = acked.all.filter { !reportMarkers.contains($0) }
                    #expect(missing.isEmpty, "round \(round): \(missing.count) reports answered 2xx are not in the database")
                    // Compaction moves an hour into its raw, minute and hour blocks in one transaction.
                    let counts = Set(blockCounts.split(separator: ","))
                    #expect(counts.count <= 1, "round \(round): raw and rollup blocks disagree: \(blockCounts)")
                    let newest = stored.map(\.startedAt).max() ?? committed.newest
                    committed = (stored.filter { $0.startedAt <= newest }.count, newest)
                }
                #expect(committed.count > 100)
                #expect(acked.all.count > 20, "too few reports were answered to prove anything")
            }
        }
    }
}

/// POSTs batches of five reports until cancelled; each report's `total_ms` is a unique
/// marker, and the markers of reports the daemon accepted in a 2xx answer go to `acked`.
private func postReports(socket: String, firstMarker: Int, acked: Markers, afterAck: (@Sendable () -> Void)? = nil) async {
    let connection = DaemonConnection(endpoint: .unixSocket(socket), timeoutSeconds: 2)
    var marker = firstMarker
    while !Task.isCancelled {
        let markers = Array(marker..<(marker + 5))
        marker += 5
        let now = Date().timeIntervalSince1970
        let reports = markers.map { ["provider": "a", "model": "m", "started_at": now - 1, "outcome": "ok", "status": 200, "total_ms": $0] as [String: Any] }
        guard let body = try? JSONSerialization.data(withJSONObject: ["reports": reports]),
              let answer = try? await connection.post("/v1/reports", json: body),
              let decoded = try? JSONSerialization.jsonObject(with: answer) as? [String: Any],
              let results = decoded["results"] as? [[String: Any]] else { continue }
        let accepted = results.compactMap { item -> Int? in
            guard item["accepted"] as? Bool == true, let index = item["index"] as? Int, markers.indices.contains(index) else { return nil }
            return markers[index]
        }
        acked.add(accepted)
        if !accepted.isEmpty, let afterAck {
            afterAck()
            return
        }
    }
}

/// A callback that kills the process with SIGKILL.
private func killer(_ pid: Int32) -> @Sendable () -> Void {
    { _ = kill(pid, SIGKILL) }
}

/// The markers of reports answered 2xx, shared between the posting task and the checks.
private final class Markers: Sendable {
    private let list = Mutex<[Int]>([])
    var all: [Int] { list.withLock { $0 } }
    func add(_ markers: [Int]) { list.withLock { $0 += markers } }
}

/// Runs one statement with the sqlite3 command-line shell (an independent reader) and returns its output.
func sqlite(_ database: String, _ sql: String) throws -> String {
    try runProgram("/usr/bin/sqlite3", ["-bail", database, sql]).output.trimmingCharacters(in: .whitespacesAndNewlines)
}
