/// The probe's parsers of provider bytes, reached without a transfer: the fuzz harnesses
/// (`switchyard-fuzz`) drive them through here.
package enum ProbeParsing {
    /// What a stream meter concluded, without the timings (which depend on the clock).
    package struct StreamSummary: Equatable, Sendable {
        package var events: Int
        package var tokenChunks: Int
        package var tokensIn: Int?
        package var tokensOut: Int?
        package var finished: Bool
        package var problem: String?
        package var providerTokensPerSecond: Double?
    }

    /// What the model-list scanner made of a body.
    package enum ModelListVerdict: Equatable, Sendable {
        case list(containsWanted: Bool), notAList, undecided
    }

    /// The lines of `chunks` fed one after the other to the line splitter, the unterminated rest last.
    package static func lines(_ chunks: [[UInt8]]) -> [[UInt8]] {
        var splitter = LineSplitter()
        var lines = chunks.flatMap { splitter.feed($0) }
        if let rest = splitter.finish() { lines.append(rest) }
        return lines
    }

    /// The data of every SSE event of `chunks` fed one after the other, the one open at the end last.
    package static func sseEvents(_ chunks: [[UInt8]]) -> [[UInt8]] {
        var decoder = SSEDecoder()
        var events = chunks.flatMap { decoder.feed($0) }
        if let rest = decoder.finish() { events.append(rest) }
        return events
    }

    /// An OpenAI chat completion stream (SSE) metered as the probe meters it.
    package static func openAIStream(_ chunks: [[UInt8]]) -> StreamSummary {
        let meter = OpenAIStreamMeter()
        for chunk in chunks { meter.receive(chunk, elapsedSeconds: 0) }
        return summary(meter.finish())
    }

    /// An Ollama `/api/chat` stream (NDJSON) metered as the probe meters it.
    package static func ollamaStream(_ chunks: [[UInt8]]) -> StreamSummary {
        let meter = OllamaStreamMeter()
        for chunk in chunks { meter.receive(chunk, elapsedSeconds: 0) }
        return summary(meter.finish())
    }

    /// The liveness probe's scan of a model list for any of `wanted`.
    package static func scanModelList(_ body: [UInt8], wanted: [String]) -> ModelListVerdict {
        switch ModelListScanner.scan(body, wanted: wanted) {
        case .list(let containsWanted): .list(containsWanted: containsWanted)
        case .notAList: .notAList
        case .undecided: .undecided
        }
    }

    private static func summary(_ m: StreamMeasurement) -> StreamSummary {
        StreamSummary(events: m.events, tokenChunks: m.tokenChunks, tokensIn: m.tokensIn, tokensOut: m.tokensOut,
                      finished: m.finished, problem: m.problem, providerTokensPerSecond: m.providerTokensPerSecond)
    }
}
