import Foundation
import GRDB
import GRDBSQLite
import SwitchyardCore

/// The minute rollups of the tail, so that reading recent history (the status page's last
/// hour of 1,000 targets, `/v1/history` over today) does not decode every tail row. The
/// writer folds new tail rows in once a minute, by row id: `store_state.summarized_id`
/// is the last tail row counted here, and tail row ids only grow (AUTOINCREMENT). Readers
/// take `live_minutes` plus the tail rows above that id, in one read transaction. Compaction
/// deletes an hour's live minutes together with its tail rows.
enum LiveMinutes {
    /// Tail rows above this id are not yet in `live_minutes`.
    static func summarizedID(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM store_state WHERE name = 'summarized_id'") ?? 0
    }

    /// Folds up to `maxRows` tail rows not yet summarized into their minutes; returns how many.
    static func summarize(_ db: Database, maxRows: Int) throws -> Int {
        let from = try summarizedID(db)
        let statement = try db.cachedStatement(sql: "SELECT id, target_id, \(TailRows.columns) FROM observations WHERE id > ? ORDER BY id LIMIT ?")
        var minutes: [Key: Rollup] = [:]
        var last = from
        var rows = 0
        let cursor = try Row.fetchCursor(statement, arguments: [from, maxRows])
        while try cursor.next() != nil {
            let s = statement.sqliteStatement
            last = sqlite3_column_int64(s, 0)
            rows += 1
            let o = TailRows.decode(s, target: anyTarget, offset: 2)
            minutes[Key(targetID: sqlite3_column_int64(s, 1), start: minuteStart(of: o)), default: Rollup()].add(o)
        }
        guard rows > 0 else { return 0 }
        let read = try db.cachedStatement(sql: "SELECT data FROM live_minutes WHERE target_id = ? AND start = ?")
        let write = try db.cachedStatement(sql: "INSERT OR REPLACE INTO live_minutes (target_id, start, data) VALUES (?, ?, ?)")
        for (key, fresh) in minutes {
            var rollup = fresh
            if let stored = try Data.fetchOne(read, arguments: [key.targetID, key.start]) { rollup.merge(try decode(Array(stored))) }
            try write.execute(arguments: [key.targetID, key.start, Data(encode(rollup))])
        }
        try db.execute(sql: "INSERT OR REPLACE INTO store_state (name, value) VALUES ('summarized_id', ?)", arguments: [last])
        return rows
    }

    /// A target's live minutes with a start in `[from, to)`, ascending.
    static func range(_ db: Database, targetID: Int64, from: Int64, to: Int64) throws -> [(start: Int64, rollup: Rollup)] {
        let statement = try db.cachedStatement(sql: "SELECT start, data FROM live_minutes WHERE target_id = ? AND start >= ? AND start < ? ORDER BY start")
        var minutes: [(start: Int64, rollup: Rollup)] = []
        let rows = try Row.fetchCursor(statement, arguments: [targetID, from, to])
        while try rows.next() != nil {
            let s = statement.sqliteStatement
            let data = UnsafeRawBufferPointer(start: sqlite3_column_blob(s, 1), count: Int(sqlite3_column_bytes(s, 1)))
            minutes.append((sqlite3_column_int64(s, 0), try decode(Array(data))))
        }
        return minutes
    }

    /// Forgets a target's live minutes of one hour (its tail rows are moving into blocks).
    static func deleteHour(_ db: Database, targetID: Int64, hourStart: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM live_minutes WHERE target_id = ? AND start >= ? AND start < ?")
            .execute(arguments: [targetID, hourStart, hourStart + 3600])
    }

    /// Rollups do not look at the target; rows are keyed by target id instead.
    static let anyTarget = Target(provider: ProviderID("-"), model: ModelName("-"))

    private struct Key: Hashable {
        var targetID: Int64
        var start: Int64
    }

    private static func encode(_ rollup: Rollup) -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        writer.byte(BlockCoding.format)
        rollup.encode(into: &writer)
        return writer.bytes
    }

    private static func decode(_ bytes: [UInt8]) throws -> Rollup {
        try ByteReader.reading(bytes) { reader in
            guard try reader.byte() == BlockCoding.format else { throw ByteReader.Malformed() }
            return try Rollup(from: &reader)
        }
    }
}
