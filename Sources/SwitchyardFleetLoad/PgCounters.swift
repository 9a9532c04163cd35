import Foundation

/// The cumulative counters of PostgreSQL sampled each interval (one psql row), and the rates between two samples.
public struct PgCounters: Equatable, Sendable {
    public var commits: Double
    public var inserted: Double
    public var updated: Double
    public var deleted: Double
    /// `pg_current_wal_lsn()` as bytes since 0/0.
    public var walBytes: Double

    public init(commits: Double, inserted: Double, updated: Double, deleted: Double, walBytes: Double) {
        self.commits = commits
        self.inserted = inserted
        self.updated = updated
        self.deleted = deleted
        self.walBytes = walBytes
    }

    /// The query whose one row `parse` reads: the database's counters and the WAL position.
    public static let query = """
        SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8
        FROM pg_stat_database WHERE datname = current_database()
        """

    /// Reads psql's unaligned row `commits|inserted|updated|deleted|wal`.
    public static func parse(_ row: String) -> PgCounters? {
        let cells = row.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map { Double($0) }
        guard cells.count == 5, cells.allSatisfy({ $0 != nil }) else { return nil }
        return PgCounters(commits: cells[0]!, inserted: cells[1]!, updated: cells[2]!, deleted: cells[3]!, walBytes: cells[4]!)
    }

    /// Per second from `earlier` to this, over `seconds`.
    public func rates(since earlier: PgCounters, seconds: Double) -> Rates {
        let dt = max(seconds, 1e-9)
        return Rates(commitsPerSecond: (commits - earlier.commits) / dt,
                     insertsPerSecond: (inserted - earlier.inserted) / dt,
                     updatesPerSecond: (updated - earlier.updated) / dt,
                     deletesPerSecond: (deleted - earlier.deleted) / dt,
                     walBytesPerSecond: (walBytes - earlier.walBytes) / dt)
    }

    public struct Rates: Equatable, Sendable {
        public var commitsPerSecond: Double
        public var insertsPerSecond: Double
        public var updatesPerSecond: Double
        public var deletesPerSecond: Double
        public var walBytesPerSecond: Double
        /// Rows written per second: inserted + updated + deleted.
        public var writesPerSecond: Double { insertsPerSecond + updatesPerSecond + deletesPerSecond }
    }
}
