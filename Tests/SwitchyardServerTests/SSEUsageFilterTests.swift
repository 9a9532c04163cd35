import Testing
@testable import SwitchyardServer

/// The gateway's pass over a streamed answer: usage noted, the usage-only chunk it asked for
/// dropped unless the caller asked too, the rest unchanged however the bytes are cut.
@Suite struct SSEUsageFilterTests {
    static let delta = #"data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"OK"}}],"usage":null}"# + "\n\n"
    static let finish = #"data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}"# + "\n\n"
    static let usage = #"data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}"# + "\n\n"
    static let done = "data: [DONE]\n\n"
    static let stream = delta + delta + finish + usage + done

    /// The filter's output for `text` cut into pieces of `size` bytes (the whole at once for nil).
    static func pass(_ text: String, keepUsage: Bool, pieces size: Int? = nil) -> (out: String, filter: SSEUsageFilter) {
        var filter = SSEUsageFilter(keepUsageChunk: keepUsage)
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + (size ?? bytes.count))
            out += filter.filter(Array(bytes[start..<end]))
            start = end
        }
        out += filter.flush()
        return (String(decoding: out, as: UTF8.self), filter)
    }

    @Test func theUsageChunkTheGatewayAskedForIsReadAndDroppedWhenTheCallerDidNotAsk() {
        let (out, filter) = Self.pass(Self.stream, keepUsage: false)
        #expect(out == Self.delta + Self.delta + Self.finish + Self.done)
        #expect(filter.usage.map { [$0.tokensIn, $0.tokensOut] } == [12, 8])
        #expect(!filter.malformed)
    }

    @Test func aCallerThatAskedForUsageGetsEveryEventUnchanged() {
        let (out, filter) = Self.pass(Self.stream, keepUsage: true)
        #expect(out == Self.stream)
        #expect(filter.usage.map { [$0.tokensIn, $0.tokensOut] } == [12, 8])
    }

    @Test func cuttingTheStreamAtAnyByteGivesTheSameOutput() {
        for size in [1, 2, 3, 7, 64, 150] {
            let dropped = Self.pass(Self.stream, keepUsage: false, pieces: size)
            #expect(dropped.out == Self.delta + Self.delta + Self.finish + Self.done, "pieces of \(size)")
            #expect(dropped.filter.usage.map { [$0.tokensIn, $0.tokensOut] } == [12, 8], "pieces of \(size)")
            #expect(Self.pass(Self.stream, keepUsage: true, pieces: size).out == Self.stream, "pieces of \(size)")
        }
    }

    @Test func nullUsageOnEveryChunkIsNotMistakenForUsage() {
        let (out, filter) = Self.pass(Self.delta + Self.finish + Self.done, keepUsage: false)
        #expect(out == Self.delta + Self.finish + Self.done)
        #expect(filter.usage == nil)
        #expect(!SSEUsageFilter.mentionsUsage(Array(Self.delta.utf8)[...]))
        #expect(SSEUsageFilter.mentionsUsage(Array(Self.usage.utf8)[...]))
        #expect(SSEUsageFilter.mentionsUsage(Array((Self.delta + Self.usage).utf8)[...]), "one real usage among nulls")
    }

    @Test func anEventThatIsNotJSONStopsTheStreamThere() {
        let (out, filter) = Self.pass(Self.delta + "data: {\"choices\":[{\"delta\":\n\n" + Self.delta, keepUsage: false)
        #expect(out == Self.delta)
        #expect(filter.malformed)
    }

    @Test func byteSearchFindsCountsAndMissesLikeAPlainScan() {
        let text = Array(#"ab"usage":null,"usage":{},"usage": null"#.utf8)
        #expect(ByteSearch.firstIndex(of: Array(#""usage""#.utf8), in: text[...]) == 2)
        #expect(ByteSearch.firstIndex(of: Array(#""usage""#.utf8), in: text[5...]) == 15, "an index of the slice")
        #expect(ByteSearch.count(of: Array(#""usage""#.utf8), in: text[...]) == 3)
        #expect(ByteSearch.count(of: Array(#""usage":null"#.utf8), in: text[...]) == 1)
        #expect(ByteSearch.firstIndex(of: Array("zz".utf8), in: text[...]) == nil)
        #expect(ByteSearch.firstIndex(of: Array("null".utf8), in: text[...]) == 10)
        #expect(ByteSearch.firstIndex(of: Array("abc".utf8), in: Array("ab".utf8)[...]) == nil, "longer than the bytes")
        #expect(ByteSearch.count(of: Array("aa".utf8), in: Array("aaaa".utf8)[...]) == 2, "not overlapping")
    }
}
