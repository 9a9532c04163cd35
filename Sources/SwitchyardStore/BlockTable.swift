import Foundation
import GRDB
import GRDBSQLite
import SwitchyardCore

/// The `blocks` table: per target, an hour of raw observations, an hour of minute rollups
/// or a day of hour rollups in one deflated row. Rows are written once per period (when
/// the tail is compacted) and appended in time order, so pages fill completely and a
/// pruned period frees whole pages for the next ones.
enum BlockTable {
    /// One stored block, inflated.
    struct Block {
        var start: Int64
        var count: Int
        var bytes: [UInt8]
    }

    /// The block of a target, kind and period, or nil.
    static func read(_ db: Database, targetID: Int64, kind: BlockKind, start: Int64) throws -> Block? {
        let statement = try db.cachedStatement(sql: "SELECT start, count, size, data FROM blocks WHERE target_id = ? AND kind = ? AND start = ?")
        return try blocks(statement, arguments: [targetID, kind.rawValue, start]).first
    }

    /// Blocks of a target and kind whose start is in `[from, to)`, ascending (or descending).
    static func range(_ db: Database, targetID: Int64, kind: BlockKind, from: Int64, to: Int64, descending: Bool = false) throws -> [Block] {
        let statement = try db.cachedStatement(sql: """
            SELECT start, count, size, data FROM blocks WHERE target_id = ? AND kind = ? AND start >= ? AND start < ?
            ORDER BY start \(descending ? "DESC" : "ASC")
            """)
        return try blocks(statement, arguments: [targetID, kind.rawValue, from, to])
    }

    /// Inserts or replaces the block of a target, kind and period.
    static func write(_ db: Database, targetID: Int64, kind: BlockKind, start: Int64, count: Int, bytes: [UInt8]) throws {
        let compressed = Deflate.compress(bytes, level: kind.compressionLevel)
        try db.cachedStatement(sql: """
            INSERT INTO blocks (target_id, kind, start, count, size, data) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (target_id, kind, start) DO UPDATE SET count = excluded.count, size = excluded.size, data = excluded.data
            """).execute(arguments: [targetID, kind.rawValue, start, count, bytes.count, compressed.withUnsafeBufferPointer { Data($0) }])
    }

    /// Runs a block query, inflating each row's data in place.
    private static func blocks(_ statement: Statement, arguments: StatementArguments) throws -> [Block] {
        var result: [Block] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while try rows.next() != nil {
            let sqlite = statement.sqliteStatement
            let size = Int(sqlite3_column_int64(sqlite, 2))
            let data = UnsafeRawBufferPointer(start: sqlite3_column_blob(sqlite, 3), count: Int(sqlite3_column_bytes(sqlite, 3)))
            result.append(Block(start: sqlite3_column_int64(sqlite, 0), count: Int(sqlite3_column_int64(sqlite, 1)),
                                bytes: try Deflate.decompress(data, size: size)))
        }
        return result
    }
}
