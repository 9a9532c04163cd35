import Foundation

/// One row of the load run's table and CSV.
public struct LoadSample: Sendable {
    public static let tables = ["fleet_evidence", "fleet_hosts", "fleet_probe_leases", "fleet_probe_spend", "fleet_drains"]

    public var at: Date
    public var elapsedSeconds: Double
    public var rates: PgCounters.Rates
    /// PostgreSQL's CPU (all its processes) as % of one core, and of the machine (all cores).
    public var pgCorePercent: Double
    public var pgMachinePercent: Double
    /// The driver's own CPU as % of one core (not counted as PostgreSQL's).
    public var driverCorePercent: Double
    public var loadAverage: Double
    public var databaseBytes: Double
    /// pg_total_relation_size and row count per table, in `tables` order.
    public var tableBytes: [Double]
    public var tableRows: [Double]
    public var published: Int
    public var buffered: Int
    public var dropped: Int
    public var maxLagSeconds: Double
    public var received: Int
    public var claims: Int
    public var won: Int

    public static var csvHeader: String {
        (["utc", "elapsed_s", "commits_per_s", "inserts_per_s", "updates_per_s", "deletes_per_s", "writes_per_s", "wal_bytes_per_s",
          "pg_cpu_pct_core", "pg_cpu_pct_machine", "driver_cpu_pct_core", "load1", "db_bytes"]
         + tables.map { "\($0)_bytes" } + tables.map { "\($0)_rows" }
         + ["published", "buffered", "dropped", "max_publish_lag_s", "received", "claims", "won"]).joined(separator: ",")
    }

    public var csvRow: String {
        let stamp = ISO8601DateFormatter().string(from: at)
        let numbers: [String] = [f(elapsedSeconds, 0), f(rates.commitsPerSecond, 1), f(rates.insertsPerSecond, 1), f(rates.updatesPerSecond, 1),
                                 f(rates.deletesPerSecond, 1), f(rates.writesPerSecond, 1), f(rates.walBytesPerSecond, 0),
                                 f(pgCorePercent, 1), f(pgMachinePercent, 1), f(driverCorePercent, 1), f(loadAverage, 2), f(databaseBytes, 0)]
            + tableBytes.map { f($0, 0) } + tableRows.map { f($0, 0) }
            + ["\(published)", "\(buffered)", "\(dropped)", f(maxLagSeconds, 2), "\(received)", "\(claims)", "\(won)"]
        return ([stamp] + numbers).joined(separator: ",")
    }

    public static var tableHeader: String {
        "  min  commit/s  writes/s  WAL KiB/s  PG %core  PG %mach  drv %core  load1  evidence MiB (rows)  leases MiB (rows)  hosts/spend/drains KiB  buffered dropped lag s"
    }

    public var tableRow: String {
        let kib = { (bytes: Double) in f(bytes / 1024, 0) }
        return String(format: "%5.1f  %8.1f  %8.1f  %9.1f  %8.1f  %8.1f  %9.1f  %5.2f  %6.2f (%7.0f)  %6.2f (%6.0f)  %@/%@/%@  %8d %7d %5.2f",
                      elapsedSeconds / 60, rates.commitsPerSecond, rates.writesPerSecond, rates.walBytesPerSecond / 1024,
                      pgCorePercent, pgMachinePercent, driverCorePercent, loadAverage,
                      tableBytes[0] / 1_048_576, tableRows[0], tableBytes[2] / 1_048_576, tableRows[2],
                      kib(tableBytes[1]), kib(tableBytes[3]), kib(tableBytes[4]), buffered, dropped, maxLagSeconds)
    }

    /// The query for sizes and rows (one psql row: database size, then bytes and rows per table).
    public static var sizeQuery: String {
        let sizes = tables.map { "pg_total_relation_size('\($0)')" }
        let rows = tables.map { "(SELECT count(*) FROM \($0))" }
        return "SELECT " + (["pg_database_size(current_database())"] + sizes + rows).joined(separator: ", ")
    }

    /// Reads the size query's row: (database bytes, table bytes, table rows).
    public static func parseSizes(_ row: String) -> (Double, [Double], [Double])? {
        let cells = row.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Double($0) }
        guard cells.count == 1 + 2 * tables.count else { return nil }
        return (cells[0], Array(cells[1...tables.count]), Array(cells[(tables.count + 1)...]))
    }
}

private func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
