import Glibc

/// Reads the model ids of an OpenAI-style model list (`{"data": [{"id": …}, …]}`) in one
/// pass over the bytes, without decoding every entry: a liveness probe of a provider that
/// lists hundreds of models would otherwise spend most of its CPU in `JSONDecoder`.
/// The whole body is still checked to be one complete JSON object, so a truncated or
/// garbage answer is not taken for a model list.
enum ModelListScanner {
    private static let dataKey = Array("data".utf8)
    private static let idKey = Array("id".utf8)

    enum Answer: Equatable {
        /// A complete model list; whether one of the wanted ids is in it.
        case list(containsWanted: Bool)
        /// Not one complete JSON object with a `data` array.
        case notAList
        /// An id uses escapes this scanner does not compare; decode the body properly.
        case undecided
    }

    /// Scans `body` for any of `wanted` among the `id`s of the objects directly in `data`.
    static func scan(_ body: [UInt8], wanted: [String]) -> Answer {
        let wantedBytes = wanted.map { Array($0.utf8) }
        return body.withUnsafeBufferPointer { scan($0, wanted: wantedBytes) }
    }

    /// The scan proper, over the bytes in place (no copies, no bounds-checked array indexing).
    /// One loop with its state in locals and small static helpers (the same instruction count
    /// as nested functions sharing a cursor, measured; kept as the plainer shape).
    private static func scan(_ body: UnsafeBufferPointer<UInt8>, wanted: [[UInt8]]) -> Answer {
        guard let bytes = body.baseAddress else { return .notAList }
        let count = body.count
        var depth = 0
        var dataArrayDepth: Int?   // depth of the `data` array once it opened at the top level
        var sawData = false
        var found = false
        var undecided = false
        var pendingKey: Range<Int>?  // the last string read as an object key
        var finished = false

        var index = skipSpace(bytes, from: 0, count: count)
        guard index < count, bytes[index] == UInt8(ascii: "{") else { return .notAList }
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if byte == UInt8(ascii: "["), depth == 2, let key = pendingKey, equals(bytes, key, Self.dataKey) {
                    dataArrayDepth = depth
                    sawData = true
                }
                pendingKey = nil
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if dataArrayDepth == depth { dataArrayDepth = nil }
                depth -= 1
                index += 1
                if depth == 0 { finished = true }
                if depth < 0 { return .notAList }
                pendingKey = nil
            case UInt8(ascii: ","):
                pendingKey = nil
                index += 1
            case UInt8(ascii: "\""):
                guard let (end, escaped) = stringEnd(bytes, from: index + 1, count: count) else { return .notAList }
                let range = index + 1..<end
                index = skipSpace(bytes, from: end + 1, count: count)
                let isKey = index < count && bytes[index] == UInt8(ascii: ":")
                if isKey {
                    pendingKey = range
                } else if let key = pendingKey, let dataArrayDepth, depth == dataArrayDepth + 1, equals(bytes, key, Self.idKey) {
                    if escaped {
                        undecided = true
                    } else if !found, wanted.contains(where: { equals(bytes, range, $0) }) {
                        found = true
                    }
                    pendingKey = nil
                } else {
                    pendingKey = nil
                }
            default:
                index += 1
            }
            if finished { break }
        }
        index = skipSpace(bytes, from: index, count: count)
        guard finished, index == count, sawData else { return .notAList }
        if found { return .list(containsWanted: true) }
        return undecided ? .undecided : .list(containsWanted: false)
    }

    /// The first index from `index` on that is not JSON whitespace.
    @inline(__always)
    private static func skipSpace(_ bytes: UnsafePointer<UInt8>, from index: Int, count: Int) -> Int {
        var index = index
        while index < count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return index
            }
        }
        return index
    }

    /// Where the string whose first byte is at `start` ends (its closing quote), and whether it
    /// holds escapes; nil when it is unterminated.
    @inline(__always)
    private static func stringEnd(_ bytes: UnsafePointer<UInt8>, from start: Int, count: Int) -> (Int, escaped: Bool)? {
        var cursor = start
        var escaped = false
        while cursor < count {
            switch bytes[cursor] {
            case UInt8(ascii: "\\"): escaped = true; cursor += 2
            case UInt8(ascii: "\""): return (cursor, escaped)
            default: cursor += 1
            }
        }
        return nil
    }

    /// Whether the bytes in `range` are exactly `expected` (length first, then memcmp).
    @inline(__always)
    private static func equals(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        guard range.count == expected.count else { return false }
        guard !range.isEmpty else { return true }
        return expected.withUnsafeBufferPointer { memcmp(bytes + range.lowerBound, $0.baseAddress!, range.count) == 0 }
    }
}
