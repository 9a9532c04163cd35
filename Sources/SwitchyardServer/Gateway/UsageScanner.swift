import Foundation

/// Token counts of an answer, read from its `usage` object.
struct Usage: Sendable, Equatable {
    var tokensIn: Int?
    var tokensOut: Int?

    /// From a `usage` object's raw JSON.
    init?(usageJSON raw: some Collection<UInt8>) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else { return nil }
        tokensIn = (object["prompt_tokens"] as? NSNumber)?.intValue
        tokensOut = (object["completion_tokens"] as? NSNumber)?.intValue
        if tokensIn == nil, tokensOut == nil { return nil }
    }
}

/// Passes a streamed (SSE) answer through line by line, noting its usage and dropping the
/// usage-only chunk the gateway asked for when the caller did not. Holds at most one
/// incomplete line; every complete line goes out unchanged.
struct SSEUsageFilter {
    /// Whether the caller asked for the usage chunk itself.
    let keepUsageChunk: Bool
    private(set) var usage: Usage?
    private var pending: [UInt8] = []
    /// The blank line after a dropped event is dropped too.
    private var dropNextBlank = false
    /// Whether an OpenAI `data: [DONE]` (or any event) came: the stream ended well.
    private(set) var sawDone = false

    init(keepUsageChunk: Bool) { self.keepUsageChunk = keepUsageChunk }

    /// The bytes to send the caller for this chunk.
    mutating func filter(_ chunk: [UInt8]) -> [UInt8] {
        guard let lastNewline = chunk.lastIndex(of: 10) else {
            pending.append(contentsOf: chunk)
            return []
        }
        var input = pending
        input.append(contentsOf: chunk[...lastNewline])
        pending = Array(chunk[(lastNewline + 1)...])
        // Fast path: nothing in this piece mentions a usage object.
        if !dropNextBlank, !Self.mentionsUsage(input) {
            if input.firstRange(of: Self.done) != nil { sawDone = true }
            return input
        }
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var start = 0
        while start < input.count, let newline = input[start...].firstIndex(of: 10) {
            let line = input[start...newline]
            start = newline + 1
            if dropNextBlank {
                dropNextBlank = false
                if line.allSatisfy({ $0 == 10 || $0 == 13 }) { continue }
            }
            if line.starts(with: Self.dataPrefix) {
                if line.firstRange(of: Self.done) != nil { sawDone = true }
                if Self.mentionsUsage(line), let usage = Self.usage(inDataLine: line) {
                    self.usage = usage
                    if !keepUsageChunk, Self.hasEmptyChoices(line) {
                        dropNextBlank = true
                        continue
                    }
                }
            }
            out.append(contentsOf: line)
        }
        return out
    }

    /// What is left at the end (an unterminated last line).
    mutating func flush() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    private static let dataPrefix = Array("data:".utf8)
    private static let done = Array("[DONE]".utf8)
    private static let usageKey = Array("\"usage\"".utf8)
    private static let usageNull = [Array("\"usage\":null".utf8), Array("\"usage\": null".utf8)]
    private static let emptyChoices = [Array("\"choices\":[]".utf8), Array("\"choices\": []".utf8)]

    /// A `"usage"` key that is not `null`.
    static func mentionsUsage(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        guard array.firstRange(of: usageKey) != nil else { return false }
        // Every occurrence null (OpenAI sends "usage":null on each chunk when usage is on).
        var count = 0
        var search = array[...]
        while let range = search.firstRange(of: usageKey) {
            count += 1
            search = search[range.upperBound...]
        }
        let nulls = usageNull.reduce(0) { total, pattern in
            var found = 0
            var rest = array[...]
            while let range = rest.firstRange(of: pattern) {
                found += 1
                rest = rest[range.upperBound...]
            }
            return total + found
        }
        return count > nulls
    }

    static func hasEmptyChoices(_ line: some Collection<UInt8>) -> Bool {
        let array = Array(line)
        return emptyChoices.contains { array.firstRange(of: $0) != nil }
    }

    /// The usage of one `data: {...}` line.
    static func usage(inDataLine line: some Collection<UInt8>) -> Usage? {
        var payload = Array(line.dropFirst(dataPrefix.count))
        while let first = payload.first, first == 32 { payload.removeFirst() }
        while let last = payload.last, last == 10 || last == 13 || last == 32 { payload.removeLast() }
        guard let body = JSONBody(payload), let member = body.member("usage") else { return nil }
        return Usage(usageJSON: body.raw(member))
    }
}
