import Foundation
import SwitchyardConfig
import SwitchyardCore

/// The OpenAI-style streamed completion probe shared by openai, hf-router, vLLM and TGI:
/// `stream: true` with `stream_options.include_usage`, `max_tokens` from the config.
/// Measures time to the first content or reasoning delta, token cadence, usage and cost;
/// records `x-inference-provider` (which provider really served, for routers).
enum OpenAICompletion {
    static func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let meter = OpenAIStreamMeter()
        let payload = ChatRequest(model: target.upstreamModel, maxTokens: target.settings.maxTokens)
        let request = target.streamedPost(target.openAIBase + "/chat/completions", payload: payload,
                                          extraHeaders: ["Accept: text/event-stream"], meter: meter)
        let result = await transport.perform(request)
        return StreamVerdict.result(of: result, measured: meter.finish(), target: target, now: now, dialect: "SSE")
    }
}

/// Turns a finished streamed transfer and what its meter measured into a probe result.
enum StreamVerdict {
    static func result(of result: HTTPTransferResult, measured: StreamMeasurement, target: ProbeTarget, now: Timestamp, dialect: String) -> ProbeResult {
        let servedBy = result.headers["x-inference-provider"]
        if var failure = ResponseClassifier.httpFailure(result, now: now) {
            failure.servedBy = servedBy
            if failure.outcome == .failure(.badResponse), measured.events > 0, result.failure != nil {
                failure.message = "\(dialect) stream cut off after \(measured.events) events: \(failure.message ?? "")"
            }
            return failure
        }
        func bad(_ message: String) -> ProbeResult {
            ProbeResult(outcome: .failure(.badResponse), httpStatus: result.status, timings: result.timings,
                        ttftSeconds: measured.firstTokenAt, servedBy: servedBy, message: message)
        }
        if let problem = measured.problem { return bad(problem) }
        if measured.events == 0 { return bad("the answer is not a \(dialect) stream") }
        if !measured.finished { return bad("the \(dialect) stream ended before it said it was done") }
        guard let ttft = measured.firstTokenAt else { return bad("the \(dialect) stream carried no tokens") }
        let tokensOut = measured.tokensOut ?? measured.tokenChunks
        let cost = target.price.map { $0.cost(tokensIn: measured.tokensIn ?? 0, tokensOut: tokensOut, seconds: result.timings.total) }
        return ProbeResult(
            outcome: .ok, httpStatus: result.status, timings: result.timings, ttftSeconds: ttft,
            tokensIn: measured.tokensIn, tokensOut: tokensOut, costUSD: cost, tokensPerSecond: measured.tokensPerSecond,
            servedBy: servedBy, message: measured.tokensOut == nil ? "no usage reported; tokens counted from deltas" : nil
        )
    }
}

private struct ChatRequest: Encodable {
    struct Message: Encodable { var role = "user"; var content = "Say OK." }
    struct StreamOptions: Encodable {
        var includeUsage = true
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }
    var model: String
    var messages = [Message()]
    var maxTokens: Int
    var stream = true
    var streamOptions = StreamOptions()

    enum CodingKeys: String, CodingKey {
        case model, messages, stream
        case maxTokens = "max_tokens"
        case streamOptions = "stream_options"
    }
}
