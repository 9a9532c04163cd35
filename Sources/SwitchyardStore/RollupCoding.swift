import Foundation
import GRDB
import GRDBSQLite
import SwitchyardCore

/// How rollup columns are packed, and the SQL functions that merge them inside an UPSERT.
/// Kept compact on purpose: rollup rows are the bulk of a long-lived database.
enum RollupCoding {
    /// A histogram as a blob of (bucket index: 1 byte, count: LEB128 varint) pairs, ascending.
    static func encode(_ histogram: LatencyHistogram) -> Data? {
        guard !histogram.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(histogram.bins.count * 2)
        for bin in histogram.bins {
            bytes.append(UInt8(bin.index))
            var value = UInt64(bin.count)
            repeat {
                let low = UInt8(value & 0x7f)
                value >>= 7
                bytes.append(value == 0 ? low : low | 0x80)
            } while value != 0
        }
        return Data(bytes)
    }

    /// The inverse of `encode`; a malformed tail is ignored rather than trusted.
    static func decodeHistogram(_ data: Data?) -> LatencyHistogram {
        guard let data, !data.isEmpty else { return LatencyHistogram() }
        return data.withUnsafeBytes { decodeHistogram(UnsafeRawBufferPointer($0)) }
    }

    /// Decodes the blob in a column of the statement's current row, in place.
    static func decodeHistogram(blobAt column: Int32, of statement: SQLiteStatement) -> LatencyHistogram {
        guard let bytes = sqlite3_column_blob(statement, column) else { return LatencyHistogram() }
        return decodeHistogram(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))))
    }

    private static func decodeHistogram(_ raw: UnsafeRawBufferPointer) -> LatencyHistogram {
        var bins: [LatencyHistogram.Bin] = []
        bins.reserveCapacity(raw.count / 2)
        var position = 0
        while position < raw.count {
            let index = Int(raw[position])
            position += 1
            var value: UInt64 = 0
            var shift: UInt64 = 0
            var complete = false
            while position < raw.count, shift < 64 {
                let byte = raw[position]
                position += 1
                value |= UInt64(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { complete = true; break }
            }
            guard complete else { break }
            bins.append(LatencyHistogram.Bin(index: index, count: Int(clamping: value)))
        }
        return LatencyHistogram(bins: bins)
    }

    /// Failures by class as text, e.g. `server_error=2,timeout=1` (sorted; nil when none).
    static func encode(_ failures: [String: Int]) -> String? {
        guard !failures.isEmpty else { return nil }
        return failures.keys.sorted().map { "\($0)=\(failures[$0]!)" }.joined(separator: ",")
    }

    /// The inverse of `encode`, by class name.
    static func decodeFailures(_ text: String?) -> [String: Int] {
        guard let text, !text.isEmpty else { return [:] }
        var failures: [String: Int] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let count = Int(pair[1]) else { continue }
            failures[String(pair[0]), default: 0] += count
        }
        return failures
    }

    /// USD stored as whole nano-dollars: an integer of a few bytes instead of an 8-byte REAL.
    static func nanoUSD(_ usd: Double) -> Int64 { Int64((usd * 1e9).rounded()) }
    static func usd(nano: Int64) -> Double { Double(nano) / 1e9 }

    /// `switchyard_merge_histogram(a, b)` and `switchyard_merge_failures(a, b)`, registered
    /// on every connection so an UPSERT merges a batch into a stored rollup in one statement.
    static let functions: [DatabaseFunction] = [
        DatabaseFunction("switchyard_merge_histogram", argumentCount: 2, pure: true) { values in
            var merged = decodeHistogram(Data.fromDatabaseValue(values[0]))
            merged.merge(decodeHistogram(Data.fromDatabaseValue(values[1])))
            return encode(merged)
        },
        DatabaseFunction("switchyard_merge_failures", argumentCount: 2, pure: true) { values in
            let left = decodeFailures(String.fromDatabaseValue(values[0]))
            let right = decodeFailures(String.fromDatabaseValue(values[1]))
            return encode(left.merging(right, uniquingKeysWith: +))
        },
    ]
}
