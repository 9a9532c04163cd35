@testable import SwitchyardProbe
import Testing

/// The incremental parsers, fed in every split from byte by byte to all at once.
@Suite struct StreamDecoderTests {
    private static let sse = Array("data: {\"a\":1}\r\n\n: comment\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n".utf8)

    @Test(arguments: [1, 2, 3, 7, 1000])
    func sseEventsSurviveAnySplit(size: Int) {
        var decoder = SSEDecoder()
        var events: [String] = []
        var index = 0
        while index < Self.sse.count {
            events += decoder.feed(Array(Self.sse[index..<min(index + size, Self.sse.count)])).map { String(decoding: $0, as: UTF8.self) }
            index += size
        }
        #expect(events == ["{\"a\":1}", "line1\nline2", "[DONE]"])
        #expect(decoder.finish() == nil)
    }

    @Test func anUnterminatedLastEventIsDeliveredAtTheEnd() {
        var decoder = SSEDecoder()
        #expect(decoder.feed(Array("data: [DONE]".utf8)).isEmpty)
        #expect(decoder.finish().map { String(decoding: $0, as: UTF8.self) } == "[DONE]")
    }

    @Test func linesSplitAcrossChunks() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("{\"a\"".utf8)).isEmpty)
        #expect(splitter.feed(Array(":1}\n{\"b\":2}\r\n{\"c\"".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}"])
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == "{\"c\"")
    }

    @Test func openAIMeterReadsTokensUsageAndDone() {
        let meter = OpenAIStreamMeter()
        meter.receive(Array("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n".utf8), elapsedSeconds: 0.1)
        meter.receive(Array("data: {\"choices\":[{\"delta\":{\"content\":\"O\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"con".utf8), elapsedSeconds: 0.2)
        meter.receive(Array("tent\":\"K\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n".utf8), elapsedSeconds: 0.4)
        let m = meter.finish()
        #expect(m.firstTokenAt == 0.2)
        #expect(m.lastTokenAt == 0.4)
        #expect(m.tokensIn == 3)
        #expect(m.tokensOut == 2)
        #expect(m.finished)
        #expect(m.problem == nil)
        #expect(m.tokensPerSecond == 5)
    }

    @Test func openAIMeterFlagsGarbageAndInStreamErrors() {
        let garbage = OpenAIStreamMeter()
        garbage.receive(Array("data: {\"choices\": [tru\n\n".utf8), elapsedSeconds: 0)
        #expect(garbage.finish().problem == "stream event is not a completion chunk")
        let error = OpenAIStreamMeter()
        error.receive(Array("data: {\"error\":{\"message\":\"overloaded\"}}\n\n".utf8), elapsedSeconds: 0)
        #expect(error.finish().problem == "the provider sent an error in the stream")
    }
}
