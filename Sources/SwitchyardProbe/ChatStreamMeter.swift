import Foundation
import Synchronization

/// What a streamed completion delivered, as measured while it arrived.
struct StreamMeasurement: Sendable {
    /// Seconds from the start of the transfer to the first content or reasoning token.
    var firstTokenAt: Double?
    /// Seconds from the start to the last token.
    var lastTokenAt: Double?
    /// Chunks that carried a content or reasoning delta.
    var tokenChunks = 0
    var tokensIn: Int?
    var tokensOut: Int?
    /// The stream said it was complete (`[DONE]` for OpenAI, `"done": true` for Ollama).
    var finished = false
    var events = 0
    /// Why the stream is not a valid answer, if it is not (first problem only).
    var problem: String?
    /// Output tokens per second after the first token, from the provider's own count when it gave one.
    var providerTokensPerSecond: Double?

    /// Output tokens per second between the first and the last token.
    var tokensPerSecond: Double? {
        if let providerTokensPerSecond { return providerTokensPerSecond }
        let count = tokensOut ?? tokenChunks
        guard count >= 2, let first = firstTokenAt, let last = lastTokenAt, last > first else { return nil }
        return Double(count - 1) / (last - first)
    }

    /// Records a chunk that carried a token, `elapsed` seconds after the start.
    mutating func token(at elapsed: Double) {
        if firstTokenAt == nil { firstTokenAt = elapsed }
        lastTokenAt = elapsed
        tokenChunks += 1
    }

    /// Records why the stream is invalid; the first reason wins.
    mutating func fail(_ message: String) {
        if problem == nil { problem = message }
    }
}

/// Parses an OpenAI chat completion SSE stream as it arrives: time to the first content
/// or reasoning delta, the token cadence, the final usage chunk and `[DONE]`.
final class OpenAIStreamMeter: HTTPBodyConsumer {
    private struct State {
        var decoder = SSEDecoder()
        var measurement = StreamMeasurement()
    }

    private let state = Mutex(State())
    /// One decoder per stream, not per event (meters run on the engine thread).
    private let json = JSONDecoder()

    /// Decodes the events `chunk` completes (called on the engine thread).
    func receive(_ chunk: [UInt8], elapsedSeconds: Double) {
        state.withLock { state in
            for event in state.decoder.feed(chunk) { Self.handle(event, json, at: elapsedSeconds, into: &state.measurement) }
        }
    }

    /// The measurement, once the transfer is over.
    func finish() -> StreamMeasurement {
        state.withLock { state in
            if let event = state.decoder.finish() { Self.handle(event, json, at: state.measurement.lastTokenAt ?? 0, into: &state.measurement) }
            return state.measurement
        }
    }

    private static func handle(_ event: [UInt8], _ json: JSONDecoder, at elapsed: Double, into measurement: inout StreamMeasurement) {
        measurement.events += 1
        if event == doneMarker {
            measurement.finished = true
            return
        }
        guard let chunk = try? json.decode(ChatChunk.self, from: Data(event)) else {
            measurement.fail("stream event is not a completion chunk")
            return
        }
        if chunk.error != nil { measurement.fail("the provider sent an error in the stream") }
        if chunk.choices?.contains(where: { $0.delta?.carriesToken == true }) == true { measurement.token(at: elapsed) }
        if let usage = chunk.usage {
            measurement.tokensIn = usage.promptTokens ?? measurement.tokensIn
            measurement.tokensOut = usage.completionTokens ?? measurement.tokensOut
        }
    }

    private static let doneMarker = Array("[DONE]".utf8)
}

// The provider frames below spell their snake_case keys in `CodingKeys` on purpose: they are
// decoded once per stream event, and `.convertFromSnakeCase` rewrites every key of every object
// in the frame first (measured with swiftc -O on this toolchain, load 2, shared decoder either
// way: an OpenAI chunk 5.4 → 10.8–11.4 µs, an Ollama line 3.4–4.3 → 5.7–5.9 µs, against
// 0.13–0.2 ms of CPU per probe).

/// One `chat.completion.chunk`, reduced to what the probe reads.
private struct ChatChunk: Decodable {
    struct Choice: Decodable { var delta: Delta? }
    struct Delta: Decodable {
        var content: String?
        /// DeepSeek/vLLM name it `reasoning_content`, others `reasoning`.
        var reasoningContent: String?
        var reasoning: String?
        var carriesToken: Bool {
            [content, reasoningContent, reasoning].contains { !($0 ?? "").isEmpty }
        }
        enum CodingKeys: String, CodingKey {
            case content, reasoning
            case reasoningContent = "reasoning_content"
        }
    }
    struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }
    struct StreamError: Decodable { var message: String? }
    var choices: [Choice]?
    var usage: Usage?
    var error: StreamError?
}

/// Parses Ollama's `/api/chat` NDJSON stream: one JSON object per line, the last with
/// `"done": true`, `prompt_eval_count`, `eval_count` and `eval_duration` (nanoseconds).
final class OllamaStreamMeter: HTTPBodyConsumer {
    private struct State {
        var lines = LineSplitter()
        var measurement = StreamMeasurement()
    }

    private let state = Mutex(State())
    /// One decoder per stream, not per event (meters run on the engine thread).
    private let json = JSONDecoder()

    /// Decodes the lines `chunk` completes (called on the engine thread).
    func receive(_ chunk: [UInt8], elapsedSeconds: Double) {
        state.withLock { state in
            for line in state.lines.feed(chunk) where !line.isEmpty { Self.handle(line, json, at: elapsedSeconds, into: &state.measurement) }
        }
    }

    /// The measurement, once the transfer is over.
    func finish() -> StreamMeasurement {
        state.withLock { state in
            if let line = state.lines.finish() { Self.handle(line, json, at: state.measurement.lastTokenAt ?? 0, into: &state.measurement) }
            return state.measurement
        }
    }

    private static func handle(_ line: [UInt8], _ json: JSONDecoder, at elapsed: Double, into measurement: inout StreamMeasurement) {
        measurement.events += 1
        guard let object = try? json.decode(OllamaChunk.self, from: Data(line)) else {
            measurement.fail("stream line is not an Ollama chat chunk")
            return
        }
        if object.error != nil { measurement.fail("the provider sent an error in the stream") }
        if !(object.message?.content ?? "").isEmpty || !(object.message?.thinking ?? "").isEmpty { measurement.token(at: elapsed) }
        guard object.done == true else { return }
        measurement.finished = true
        measurement.tokensIn = object.promptEvalCount
        measurement.tokensOut = object.evalCount
        if let count = object.evalCount, let nanos = object.evalDuration, nanos > 0 {
            measurement.providerTokensPerSecond = Double(count) / (Double(nanos) / 1e9)
        }
    }
}

private struct OllamaChunk: Decodable {
    struct Message: Decodable { var content: String?; var thinking: String? }
    var message: Message?
    var done: Bool?
    var promptEvalCount: Int?
    var evalCount: Int?
    var evalDuration: Int?
    var error: String?
    enum CodingKeys: String, CodingKey {
        case message, done, error
        case promptEvalCount = "prompt_eval_count"
        case evalCount = "eval_count"
        case evalDuration = "eval_duration"
    }
}
