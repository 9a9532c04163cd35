import Foundation

/// A response body as timed pieces: wait `delay` seconds, then send `bytes`.
struct BodyPlan: Sendable {
    enum Format: Equatable, Sendable {
        case json, sse, ndjson
        /// Bytes of another type (audio, video, plain text), sent as they are.
        case binary(contentType: String)
    }
    struct Piece: Sendable {
        var delay: Double
        var bytes: [UInt8]
    }

    var format: Format
    var pieces: [Piece]

    var contentType: String {
        switch format {
        case .json: "application/json"
        case .sse: "text/event-stream"
        case .ndjson: "application/x-ndjson"
        case .binary(let contentType): contentType
        }
    }

    /// A whole JSON document sent at once.
    static func json(_ value: some Encodable) -> BodyPlan {
        BodyPlan(format: .json, pieces: [Piece(delay: 0, bytes: Array((try? JSONEncoder().encode(value)) ?? Data()))])
    }
}

/// What a chat request asked for, in either dialect.
struct ChatAsk: Decodable, Sendable {
    struct StreamOptions: Decodable, Sendable {
        var includeUsage: Bool?
    }
    struct Options: Decodable, Sendable {
        var numPredict: Int?
    }
    var model: String
    var stream: Bool?
    var streamOptions: StreamOptions?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var options: Options?

    /// A request body as the dialects spell it (`stream_options`, `max_tokens`, `num_predict`, ...).
    static func decode(_ body: Data) throws -> ChatAsk {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ChatAsk.self, from: body)
    }
}

/// The normal answers of each dialect, timed by the behaviour's TTFT and tokens/s.
enum SimulatorAnswers {
    static let promptTokens = 9

    /// Output tokens for this request: the behaviour's count, capped by the request's limit.
    static func outputTokens(_ ask: ChatAsk, _ behavior: SimulatorBehavior) -> Int {
        let limit = ask.maxCompletionTokens ?? ask.maxTokens ?? ask.options?.numPredict ?? Int.max
        return max(0, min(behavior.completionTokens, limit))
    }

    /// Token `i` is sent this many seconds after the response head (first after the TTFT).
    static func tokenDelays(count: Int, _ behavior: SimulatorBehavior, headAfterMs: Double) -> [Double] {
        let first = max(0, behavior.ttftMs - headAfterMs) / 1000
        return (0..<count).map { $0 == 0 ? first : behavior.tokenInterval }
    }

    /// OpenAI `chat.completion` (non-streaming).
    static func openAICompletion(_ ask: ChatAsk, _ behavior: SimulatorBehavior) -> BodyPlan {
        let tokens = outputTokens(ask, behavior)
        let answer: [String: AnyEncodable] = [
            "id": AnyEncodable("chatcmpl-sim"), "object": AnyEncodable("chat.completion"), "model": AnyEncodable(ask.model),
            "choices": AnyEncodable([["index": AnyEncodable(0), "finish_reason": AnyEncodable("length"),
                                      "message": AnyEncodable(["role": "assistant", "content": String(repeating: "OK ", count: tokens)])]]),
            "usage": AnyEncodable(usage(tokens, behavior)),
        ]
        return .json(answer)
    }

    /// OpenAI `text_completion` (`/v1/completions`, non-streaming).
    static func textCompletion(_ ask: ChatAsk, _ behavior: SimulatorBehavior) -> BodyPlan {
        let tokens = outputTokens(ask, behavior)
        return .json([
            "id": AnyEncodable("cmpl-sim"), "object": AnyEncodable("text_completion"), "model": AnyEncodable(ask.model),
            "choices": AnyEncodable([["index": AnyEncodable(0), "finish_reason": AnyEncodable("length"),
                                      "text": AnyEncodable(String(repeating: "OK ", count: tokens))]]),
            "usage": AnyEncodable(usage(tokens, behavior)),
        ] as [String: AnyEncodable])
    }

    /// OpenAI SSE: reasoning deltas, content deltas, a finish chunk, the usage chunk when
    /// `stream_options.include_usage` asked for it, then `data: [DONE]`.
    static func openAIStream(_ ask: ChatAsk, _ behavior: SimulatorBehavior, headAfterMs: Double) -> BodyPlan {
        let content = outputTokens(ask, behavior)
        let reasoning = behavior.reasoningTokens
        let delays = tokenDelays(count: reasoning + content, behavior, headAfterMs: headAfterMs)
        var pieces: [BodyPlan.Piece] = []
        for (index, delay) in delays.enumerated() {
            let delta = index < reasoning ? ["reasoning_content": "hmm "] : ["content": index == reasoning ? "OK" : " OK"]
            pieces.append(.init(delay: delay, bytes: event(chunk(ask.model, choices: [["index": AnyEncodable(0), "delta": AnyEncodable(delta)]]))))
        }
        pieces.append(.init(delay: 0, bytes: event(chunk(ask.model, choices: [["index": AnyEncodable(0), "delta": AnyEncodable([String: String]()),
                                                                               "finish_reason": AnyEncodable("length")]]))))
        if ask.streamOptions?.includeUsage == true {
            var last = chunk(ask.model, choices: [])
            last["usage"] = AnyEncodable(usage(reasoning + content, behavior))
            pieces.append(.init(delay: 0, bytes: event(last)))
        }
        pieces.append(.init(delay: 0, bytes: Array("data: [DONE]\n\n".utf8)))
        return BodyPlan(format: .sse, pieces: pieces)
    }

    /// Ollama `/api/chat`: NDJSON, one line per token, the last with `done` and the eval counts.
    static func ollamaChat(_ ask: ChatAsk, _ behavior: SimulatorBehavior, headAfterMs: Double) -> BodyPlan {
        let tokens = outputTokens(ask, behavior)
        let evalNanos = Int(Double(tokens) * behavior.tokenInterval * 1e9)
        let done: [String: AnyEncodable] = [
            "model": AnyEncodable(ask.model), "created_at": AnyEncodable("2026-01-01T00:00:00Z"),
            "message": AnyEncodable(["role": "assistant", "content": ""]), "done": AnyEncodable(true), "done_reason": AnyEncodable("length"),
            "prompt_eval_count": AnyEncodable(promptTokens), "eval_count": AnyEncodable(tokens), "eval_duration": AnyEncodable(evalNanos),
            "total_duration": AnyEncodable(evalNanos + Int(behavior.ttftMs * 1e6)),
        ]
        guard ask.stream ?? true else { return .json(done) }
        var pieces = tokenDelays(count: tokens, behavior, headAfterMs: headAfterMs).map { delay in
            BodyPlan.Piece(delay: delay, bytes: line([
                "model": AnyEncodable(ask.model), "created_at": AnyEncodable("2026-01-01T00:00:00Z"),
                "message": AnyEncodable(["role": "assistant", "content": "OK "]), "done": AnyEncodable(false),
            ]))
        }
        pieces.append(.init(delay: 0, bytes: line(done)))
        return BodyPlan(format: .ndjson, pieces: pieces)
    }

    /// The usage object: the tokens sent, or what `behavior.claimedUsageTokens` claims for both counts.
    private static func usage(_ completion: Int, _ behavior: SimulatorBehavior) -> [String: Int] {
        if let claimed = behavior.claimedUsageTokens { return ["prompt_tokens": claimed, "completion_tokens": claimed, "total_tokens": claimed] }
        return ["prompt_tokens": promptTokens, "completion_tokens": completion, "total_tokens": promptTokens + completion]
    }

    private static func chunk(_ model: String, choices: [[String: AnyEncodable]]) -> [String: AnyEncodable] {
        ["id": AnyEncodable("chatcmpl-sim"), "object": AnyEncodable("chat.completion.chunk"), "model": AnyEncodable(model), "choices": AnyEncodable(choices)]
    }

    private static func event(_ value: [String: AnyEncodable]) -> [UInt8] {
        Array("data: ".utf8) + ((try? JSONEncoder().encode(value)).map(Array.init) ?? []) + Array("\n\n".utf8)
    }

    private static func line(_ value: [String: AnyEncodable]) -> [UInt8] {
        ((try? JSONEncoder().encode(value)).map(Array.init) ?? []) + [UInt8(ascii: "\n")]
    }
}

/// Type-erased Encodable for building small JSON answers.
struct AnyEncodable: Encodable, Sendable {
    private let encodeValue: @Sendable (any Encoder) throws -> Void
    init<T: Encodable & Sendable>(_ value: T) { encodeValue = { try value.encode(to: $0) } }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
