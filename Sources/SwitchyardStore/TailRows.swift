import GRDB
import GRDBSQLite
import SwitchyardCore

/// Reading observations out of the tail (`observations`), one row each. Columns are named
/// in the query and read by position straight from the SQLite statement: compaction reads
/// every observation once, and GRDB's by-name `Row` lookups were most of its cost.
enum TailRows {
    /// The columns `decode` expects, in this order.
    static let columns = columnsBeforeV8 + ", audio_seconds, images"
    /// The columns a tail had before migration v8; select `NULL, NULL` after them for the rest.
    static let columnsBeforeV8 = "source, started_at, outcome, http_status, total_ms, ttft_ms, tokens_in, tokens_out, cost_usd, retry_at, message"
    /// A query for them; append a `WHERE`/`ORDER BY` clause.
    static let select = "SELECT \(columns) FROM observations"

    /// Runs a `select …` statement and decodes every row as an observation of `target`.
    static func fetch(_ statement: Statement, arguments: StatementArguments, target: Target) throws -> [Observation] {
        var observations: [Observation] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while try rows.next() != nil { observations.append(decode(statement.sqliteStatement, target: target)) }
        return observations
    }

    /// The observation in the current row, whose `columns` start at column `offset`.
    static func decode(_ s: SQLiteStatement, target: Target, offset: Int32 = 0) -> Observation {
        func double(_ column: Int32) -> Double? { sqlite3_column_type(s, offset + column) == SQLITE_NULL ? nil : sqlite3_column_double(s, offset + column) }
        func int(_ column: Int32) -> Int? { sqlite3_column_type(s, offset + column) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(s, offset + column)) }
        func text(_ column: Int32) -> String? { sqlite3_column_text(s, offset + column).map { String(cString: $0) } }
        var observation = Observation(
            target: target, source: text(0) == "report" ? .report : .probe,
            startedAt: Timestamp(secondsSinceEpoch: sqlite3_column_double(s, offset + 1)),
            outcome: text(2).flatMap(Outcome.init(label:)) ?? .failure(.badResponse),
            httpStatus: int(3), totalSeconds: sqlite3_column_double(s, offset + 4) / 1000, ttftSeconds: double(5).map { $0 / 1000 },
            tokensIn: int(6), tokensOut: int(7), costUSD: double(8),
            retryAt: double(9).map { Timestamp(secondsSinceEpoch: $0) }, message: text(10)
        )
        observation.audioSeconds = double(11)
        observation.images = int(12)
        return observation
    }
}
