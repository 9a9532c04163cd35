import Foundation
import GRDB
import GRDBSQLite
import SwitchyardCore

/// The `blocks` table: per target, a half-hour of raw observations, an hour of minute
/// rollups or a UTC day of hour rollups in one deflated row. Raw and minute blocks are
/// written when compaction moves an hour out of the tail (and again only when a late
/// observation joins them); a day block is rewritten as each of its hours is compacted.
/// Rows are appended in time order, so pages fill and a pruned period frees whole pages.
enum BlockTable {
    /// One stored block, inflated.
    struct Block {
        var start: Int64
        var bytes: [UInt8]
    }

    /// The block of a target, kind and period, or nil; throws `Deflate.Failure` for a damaged one.
    static func read(_ db: Database, targetID: Int64, kind: BlockKind, start: Int64) throws -> Block? {
        let statement = try db.cachedStatement(sql: "SELECT start, size, data FROM blocks WHERE target_id = ? AND kind = ? AND start = ?")
        var found: Block?
        try forEachRow(statement, arguments: [targetID, kind.rawValue, start]) { found = try $0(); return false }
        return found
    }

    /// Calls `body` with the blocks of a target and kind whose start is in `[from, to)`, in time
    /// order (or newest first), inflating each only when it is reached; `body` returns false to
    /// stop. A damaged block (its deflate stream fails zlib's checksum) is skipped: one bad
    /// page must not make every history read fail. Compaction moves such blocks aside.
    static func forEach(_ db: Database, targetID: Int64, kind: BlockKind, from: Int64, to: Int64, descending: Bool = false,
                        _ body: (Block) throws -> Bool) throws {
        let statement = try db.cachedStatement(sql: """
            SELECT start, size, data FROM blocks WHERE target_id = ? AND kind = ? AND start >= ? AND start < ?
            ORDER BY start \(descending ? "DESC" : "ASC")
            """)
        try forEachRow(statement, arguments: [targetID, kind.rawValue, from, to]) { inflate in
            guard let block = try? inflate() else { return true }
            return try body(block)
        }
    }

    /// Inserts or replaces the block of a target, kind and period.
    static func write(_ db: Database, targetID: Int64, kind: BlockKind, start: Int64, count: Int, bytes: [UInt8]) throws {
        let compressed = Deflate.compress(bytes, level: kind.compressionLevel)
        try db.cachedStatement(sql: """
            INSERT INTO blocks (target_id, kind, start, count, size, data) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (target_id, kind, start) DO UPDATE SET count = excluded.count, size = excluded.size, data = excluded.data
            """).execute(arguments: [targetID, kind.rawValue, start, count, bytes.count, compressed.withUnsafeBufferPointer { Data($0) }])
    }

    /// Moves a damaged block into `damaged_blocks` (kept for inspection, never read again).
    static func quarantine(_ db: Database, targetID: Int64, kind: BlockKind, start: Int64, reason: String) throws {
        try db.execute(sql: """
            INSERT INTO damaged_blocks (target_id, kind, start, count, size, data, reason)
            SELECT target_id, kind, start, count, size, data, ? FROM blocks WHERE target_id = ? AND kind = ? AND start = ?
            """, arguments: [reason, targetID, kind.rawValue, start])
        try db.execute(sql: "DELETE FROM blocks WHERE target_id = ? AND kind = ? AND start = ?", arguments: [targetID, kind.rawValue, start])
    }

    /// Steps a `start, size, data` query, handing `body` a function that inflates the current row.
    private static func forEachRow(_ statement: Statement, arguments: StatementArguments, _ body: (() throws -> Block) throws -> Bool) throws {
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while try rows.next() != nil {
            let sqlite = statement.sqliteStatement
            let inflate = {
                let data = UnsafeRawBufferPointer(start: sqlite3_column_blob(sqlite, 2), count: Int(sqlite3_column_bytes(sqlite, 2)))
                return Block(start: sqlite3_column_int64(sqlite, 0), bytes: try Deflate.decompress(data, size: Int(sqlite3_column_int64(sqlite, 1))))
            }
            guard try body(inflate) else { return }
        }
    }
}
