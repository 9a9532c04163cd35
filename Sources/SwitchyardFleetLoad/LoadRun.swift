import Foundation
import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardFleet
import SwitchyardTestSupport

/// The whole run: a private PostgreSQL (PostgresCluster: a temp directory, as `nobody` under
/// root, stopped and deleted at the end), `hosts` simulated hosts on it, and a sample of
/// PostgreSQL's rates, CPU and table sizes every `sampleSeconds`, printed and written to a CSV.
public struct LoadRun: Sendable {
    public var hosts = 10
    public var shape = LoadHost.Shape()
    public var durationSeconds = 3600.0
    public var sampleSeconds = 15.0
    public var retentionSeconds = 600.0
    public var csvPath = "fleet-load.csv"

    public init() {}

    public func run() async throws {
        var logger = Logger(label: "fleet-load")
        logger.logLevel = .warning
        let cluster = try await offPool { try PostgresCluster.create() }
        defer { cluster.remove() }
        guard let postmaster = cluster.serverPID else { throw PostgresClusterError.failed("postmaster.pid", cluster.log) }
        let environment = ["SWITCHYARD_FLEET_LOAD_URL": cluster.url]
        // The schema first, once: hosts starting together race on CREATE TABLE IF NOT EXISTS
        // switchyard_schema (outside the advisory lock) and the losers start by backing off.
        let connection = try await FleetConnector(url: try PostgresURL(parsing: cluster.url), logger: logger).connect()
        try await FleetSchema.migrate(connection, logger: logger)
        try await connection.close()
        let start = Date().timeIntervalSince1970
        let made = try (0..<hosts).map { index in
            let settings = FleetSettings(postgres: .environment("SWITCHYARD_FLEET_LOAD_URL"), host: String(format: "load-host-%02d", index + 1),
                                         group: "load", remoteWeight: 1, retentionSeconds: retentionSeconds)
            return try LoadHost(index: index, shape: shape, settings: settings, environment: environment, logger: logger)
        }
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        emit("fleet load: \(hosts) hosts × \(shape.targets) targets; liveness every \(Int(shape.livenessSeconds)) s, paid probe every \(Int(shape.paidSeconds)) s, \(Int(shape.reportsPerSecond)) reports/s per host; retention \(Int(retentionSeconds)) s; \(Int(durationSeconds)) s, sample every \(Int(sampleSeconds)) s; \(Int(cores)) cores; CSV \(csvPath)")
        _ = FileManager.default.createFile(atPath: csvPath, contents: Data((LoadSample.csvHeader + "\n").utf8))
        let csv = try FileHandle(forWritingTo: URL(fileURLWithPath: csvPath))
        _ = try csv.seekToEnd()  // after the header (the handle opens at offset 0)
        defer { try? csv.close() }
        emit(LoadSample.tableHeader)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for host in made { group.addTask { await host.run(start: start) } }
            group.addTask {
                try await sample(cluster: cluster, postmaster: postmaster, hosts: made, start: start, cores: cores, csv: csv)
            }
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
        let totals = made.map(\.snapshot)
        emit("claims \(totals.map(\.claims).reduce(0, +)), won \(totals.map(\.won).reduce(0, +)), taken \(totals.map(\.taken).reduce(0, +)), budget spent \(totals.map(\.budgetSpent).reduce(0, +)), unreachable \(totals.map(\.unreachable).reduce(0, +)); liveness \(totals.map(\.liveness).reduce(0, +)) (shared \(totals.map(\.livenessShared).reduce(0, +))); reports \(totals.map(\.reports).reduce(0, +)); peers' rows received \(totals.map(\.received).reduce(0, +))")
    }

    /// Samples until the duration is over, then returns (which ends the run).
    private func sample(cluster: PostgresCluster, postmaster: Int32, hosts: [LoadHost], start: Double, cores: Double, csv: FileHandle) async throws {
        var previous: (at: Double, counters: PgCounters, pg: Double, driver: Double)?
        while true {
            let now = Date().timeIntervalSince1970
            if now - start >= durationSeconds { return }
            let row = try await offPool { try cluster.psql(PgCounters.query) }
            let sizes = try await offPool { try cluster.psql(LoadSample.sizeQuery) }
            guard let counters = PgCounters.parse(row), let (dbBytes, tableBytes, tableRows) = LoadSample.parseSizes(sizes) else {
                throw PostgresClusterError.failed("sampling", row + " / " + sizes)
            }
            let pg = ProcCPU.serverSeconds(postmaster: postmaster)
            let driver = ProcCPU.selfSeconds()
            if let previous {
                let dt = now - previous.at
                let statuses = hosts.map { $0.status() }
                let counts = hosts.map(\.snapshot)
                let pgCore = (pg - previous.pg) / dt * 100
                let sample = LoadSample(
                    at: Date(), elapsedSeconds: now - start, rates: counters.rates(since: previous.counters, seconds: dt),
                    pgCorePercent: pgCore, pgMachinePercent: pgCore / cores, driverCorePercent: (driver - previous.driver) / dt * 100,
                    loadAverage: ProcCPU.loadAverage(), databaseBytes: dbBytes, tableBytes: tableBytes, tableRows: tableRows,
                    published: statuses.map(\.published).reduce(0, +), buffered: statuses.map(\.buffered).reduce(0, +),
                    dropped: statuses.map(\.dropped).reduce(0, +), maxLagSeconds: statuses.map(\.publishLagSeconds).max() ?? 0,
                    received: counts.map(\.received).reduce(0, +), claims: counts.map(\.claims).reduce(0, +), won: counts.map(\.won).reduce(0, +))
                emit(sample.tableRow)
                csv.write(Data((sample.csvRow + "\n").utf8))
            }
            previous = (now, counters, pg, driver)
            try await Task.sleep(for: .milliseconds(Int64(sampleSeconds * 1000)))
        }
    }
}

/// A line on stdout at once (a pipe to `tee` would otherwise hold it in a buffer).
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
