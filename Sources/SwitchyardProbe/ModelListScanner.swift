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
    private static func scan(_ body: UnsafeBufferPointer<UInt8>, wanted: [[UInt8]]) -> Answer {
        var depth = 0
        var index = 0
        var dataArrayDepth: Int?   // depth of the `data` array once it opened at the top level
        var sawData = false
        var found = false
        var undecided = false
        var pendingKey: Range<Int>?  // the last string read as an object key
        var finished = false

        func skipSpace() {
            while index < body.count {
                switch body[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        /// Whether the bytes in `range` are exactly `expected` (length first, then memcmp).
        func equals(_ range: Range<Int>, _ expected: [UInt8]) -> Bool {
            guard range.count == expected.count else { return false }
            guard !range.isEmpty else { return true }
            return expected.withUnsafeBufferPointer { memcmp(body.baseAddress! + range.lowerBound, $0.baseAddress!, range.count) == 0 }
        }

        /// Reads the string starting at `index` (on the opening quote); nil when unterminated.
        func readString() -> (Range<Int>, escaped: Bool)? {
            let start = index + 1
            var cursor = start
            var escaped = false
            while cursor < body.count {
                switch body[cursor] {
                case UInt8(ascii: "\\"): escaped = true; cursor += 2
                case UInt8(ascii: "\""):
                    index = cursor + 1
                    return (start..<cursor, escaped)
                default: cursor += 1
                }
            }
            return nil
        }

        skipSpace()
        guard index < body.count, body[index] == UInt8(ascii: "{") else { return .notAList }
        while index < body.count {
            let byte = body[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if byte == UInt8(ascii: "["), depth == 2, pendingKey.map({ equals($0, Self.dataKey) }) == true {
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
                guard let (range, escaped) = readString() else { return .notAList }
                skipSpace()
                let isKey = index < body.count && body[index] == UInt8(ascii: ":")
                if isKey {
                    pendingKey = range
                } else if let key = pendingKey, let dataArrayDepth, depth == dataArrayDepth + 1, equals(key, Self.idKey) {
                    if escaped {
                        undecided = true
                    } else if wanted.contains(where: { equals(range, $0) }) {
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
        skipSpace()
        guard finished, index == body.count, sawData else { return .notAList }
        if found { return .list(containsWanted: true) }
        return undecided ? .undecided : .list(containsWanted: false)
    }
}
