import Foundation

/// Token counts of an answer, read from its `usage` object.
struct Usage: Sendable, Equatable {
    var tokensIn: Int?
    var tokensOut: Int?

    /// From a `usage` object's raw JSON (one scan, no Foundation decoding: it runs for every answer).
    init?(usageJSON raw: some Collection<UInt8>) {
        guard let object = JSONBody(Array(raw)) else { return nil }
        tokensIn = object.integer("prompt_tokens")
        tokensOut = object.integer("completion_tokens")
        if tokensIn == nil, tokensOut == nil { return nil }
    }
}

/// Passes a streamed (SSE) answer through event by event, noting its usage and dropping the
/// usage-only chunk the gateway asked for when the caller did not. Holds at most one
/// incomplete event; every complete event goes out unchanged, unless its data is not a JSON
/// object or array (`[DONE]` included): then that event and the rest are withheld and
/// `malformed` is set, so the caller gets the events so far and then an error event.
struct SSEUsageFilter {
    /// Whether the caller asked for the usage chunk itself.
    let keepUsageChunk: Bool
    private(set) var usage: Usage?
    private var pending: [UInt8] = []
    /// The blank line after a dropped event is dropped too.
    private var dropNextBlank = false

    init(keepUsageChunk: Bool) { self.keepUsageChunk = keepUsageChunk }

    /// Whether the provider sent an event whose data is not JSON (garbage): nothing more goes out.
    private(set) var malformed = false

    /// The bytes to send the caller for this chunk.
    mutating func filter(_ chunk: [UInt8]) -> [UInt8] {
        guard !malformed else { return [] }
        let scanned = max(0, pending.count - 2)  // the held bytes hold no event end but may begin one
        var input = pending
        input.append(contentsOf: chunk)
        guard let end = Self.endOfLastEvent(input, from: scanned) else {
            pending = input
            return []
        }
        pending = Array(input[end...])
        input.removeSubrange(end...)
        if let bad = Self.firstMalformedEvent(input) {
            malformed = true
            pending = []
            input.removeSubrange(bad...)
        }
        // Fast path: nothing in this piece mentions a usage object.
        if !dropNextBlank, !Self.mentionsUsage(input[...]) { return input }
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

    /// What is left at the end (an unterminated last event).
    mutating func flush() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// Just past the last blank line (`\n\n` or `\n\r\n`) at or after `from`, or nil.
    static func endOfLastEvent(_ bytes: [UInt8], from: Int) -> Int? {
        var index = bytes.count - 1
        while index >= max(1, from + 1) {
            if bytes[index] == 10 {
                if bytes[index - 1] == 10 { return index + 1 }
                if bytes[index - 1] == 13, index >= 2, bytes[index - 2] == 10 { return index + 1 }
            }
            index -= 1
        }
        return nil
    }

    /// Where the first complete event whose `data:` is not a JSON object or array begins
    /// (checked by its first and last byte: cheap, and enough to catch a cut or garbled event).
    static func firstMalformedEvent(_ bytes: [UInt8]) -> Int? {
        var start = 0
        var eventStart = 0
        var first: UInt8?
        var last: UInt8 = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: 10) ?? bytes.count
            var lineEnd = newline
            if lineEnd > start, bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            if lineEnd == start {
                if let first, !((first == UInt8(ascii: "{") && last == UInt8(ascii: "}")) || (first == UInt8(ascii: "[") && last == UInt8(ascii: "]"))) {
                    return eventStart
                }
                first = nil
                eventStart = newline + 1
            } else if bytes[start..<lineEnd].starts(with: dataPrefix) {
                var from = start + dataPrefix.count
                var to = lineEnd
                while from < to, bytes[from] == 32 || bytes[from] == 9 { from += 1 }
                while to > from, bytes[to - 1] == 32 || bytes[to - 1] == 9 { to -= 1 }
                if from < to {
                    if first == nil { first = bytes[from] }
                    last = bytes[to - 1]
                }
            }
            start = newline + 1
        }
        return nil
    }

    private static let dataPrefix = Array("data:".utf8)
    private static let usageKey = Array("\"usage\"".utf8)
    private static let usageNull = [Array("\"usage\":null".utf8), Array("\"usage\": null".utf8)]
    private static let emptyChoices = [Array("\"choices\":[]".utf8), Array("\"choices\": []".utf8)]

    /// A `"usage"` key that is not `null` (OpenAI sends `"usage":null` on each chunk when usage is on).
    static func mentionsUsage(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard ByteSearch.contains(usageKey, in: bytes) else { return false }
        let nulls = usageNull.reduce(0) { $0 + ByteSearch.count(of: $1, in: bytes) }
        return ByteSearch.count(of: usageKey, in: bytes) > nulls
    }

    static func hasEmptyChoices(_ line: ArraySlice<UInt8>) -> Bool {
        emptyChoices.contains { ByteSearch.contains($0, in: line) }
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
