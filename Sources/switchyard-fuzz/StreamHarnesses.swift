import SwitchyardProbe

/// The probe's stream parsers on provider bytes. The first byte picks a chunk size; the
/// result must not depend on how the network cut the stream.
enum StreamHarnesses {
    /// SSE: events and the OpenAI meter's summary are the same in one chunk and in many.
    static func sse(_ input: [UInt8]) {
        guard let (size, body) = split(input) else { return }
        let whole = ProbeParsing.sseEvents([body]), cut = ProbeParsing.sseEvents(chunks(body, of: size))
        require(whole == cut, "SSE events depend on chunking (\(size)-byte chunks)")
        require(whole.reduce(0) { $0 + $1.count } <= body.count, "SSE events hold more bytes than the stream")
        let meterWhole = ProbeParsing.openAIStream([body]), meterCut = ProbeParsing.openAIStream(chunks(body, of: size))
        require(meterWhole == meterCut, "the OpenAI meter depends on chunking: \(meterWhole) vs \(meterCut)")
        require(meterWhole.events == whole.count, "the meter counted \(meterWhole.events) events, the decoder \(whole.count)")
        check(meterWhole)
    }

    /// NDJSON: lines and the Ollama meter's summary are the same in one chunk and in many.
    static func ndjson(_ input: [UInt8]) {
        guard let (size, body) = split(input) else { return }
        let whole = ProbeParsing.lines([body]), cut = ProbeParsing.lines(chunks(body, of: size))
        require(whole == cut, "lines depend on chunking (\(size)-byte chunks)")
        require(whole.allSatisfy { !$0.contains(UInt8(ascii: "\n")) }, "a line holds a line break")
        let meterWhole = ProbeParsing.ollamaStream([body]), meterCut = ProbeParsing.ollamaStream(chunks(body, of: size))
        require(meterWhole == meterCut, "the Ollama meter depends on chunking: \(meterWhole) vs \(meterCut)")
        check(meterWhole)
    }

    private static func split(_ input: [UInt8]) -> (Int, [UInt8])? {
        guard let first = input.first else { return nil }
        return (Int(first % 32) + 1, Array(input.dropFirst()))
    }

    private static func check(_ summary: ProbeParsing.StreamSummary) {
        require(summary.tokenChunks <= summary.events, "more token chunks than events")
        if let rate = summary.providerTokensPerSecond { require(rate.isFinite && rate >= 0, "tokens per second \(rate)") }
    }
}
