import Foundation
import SwitchyardConfig
import SwitchyardCore

/// Probes an OpenAI-compatible API (openai, hf-router, vLLM and TGI's OpenAI routes).
/// Liveness: `GET {base}/models` lists the model. Completion: a tiny
/// `POST {base}/chat/completions` whose usage is read back and priced.
struct OpenAIProbe: Prober {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        switch target.settings.mode {
        case .liveness: await liveness(target, transport: transport, now: now)
        case .completion: await completion(target, transport: transport, now: now)
        }
    }

    private func liveness(_ target: ProbeTarget, transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let request = HTTPRequest(
            url: target.baseURL + "/models", headers: target.authorizationHeaders,
            connectTimeoutSeconds: target.settings.connectTimeoutSeconds, timeoutSeconds: target.settings.timeoutSeconds
        )
        let result = await transport.perform(request)
        if let failure = ResponseClassifier.httpFailure(result, now: now) { return failure }
        guard let list = try? JSONDecoder().decode(ModelList.self, from: Data(result.body)) else {
            return ProbeResult(outcome: .failure(.badResponse), httpStatus: result.status, timings: result.timings, message: "GET /models: body is not a model list")
        }
        guard list.data.contains(where: { $0.id == target.upstreamModel }) else {
            return ProbeResult(outcome: .failure(.modelNotFound), httpStatus: result.status, timings: result.timings, message: "model '\(target.upstreamModel)' is not listed by /models")
        }
        return ProbeResult(outcome: .ok, httpStatus: result.status, timings: result.timings, servedBy: result.headers["x-inference-provider"])
    }

    private func completion(_ target: ProbeTarget, transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let body = ChatRequest(model: target.upstreamModel, maxTokens: target.settings.maxTokens)
        let request = HTTPRequest(
            url: target.baseURL + "/chat/completions", method: .post, headers: target.authorizationHeaders,
            body: Array((try? JSONEncoder().encode(body)) ?? Data()),
            connectTimeoutSeconds: target.settings.connectTimeoutSeconds, timeoutSeconds: target.settings.timeoutSeconds
        )
        let result = await transport.perform(request)
        if let failure = ResponseClassifier.httpFailure(result, now: now) { return failure }
        guard let answer = try? JSONDecoder().decode(ChatResponse.self, from: Data(result.body)), !answer.choices.isEmpty else {
            return ProbeResult(outcome: .failure(.badResponse), httpStatus: result.status, timings: result.timings, message: "chat completion: body is not a completion")
        }
        let tokensIn = answer.usage?.promptTokens
        let tokensOut = answer.usage?.completionTokens
        let cost = target.price.map { $0.cost(tokensIn: tokensIn ?? 0, tokensOut: tokensOut ?? 0, seconds: result.timings.total) }
        return ProbeResult(
            outcome: .ok, httpStatus: result.status, timings: result.timings,
            tokensIn: tokensIn, tokensOut: tokensOut, costUSD: cost,
            servedBy: result.headers["x-inference-provider"]
        )
    }
}

private struct ModelList: Decodable {
    struct Model: Decodable { var id: String }
    var data: [Model]
}

private struct ChatRequest: Encodable {
    struct Message: Encodable { var role = "user"; var content = "Say OK." }
    var model: String
    var messages = [Message()]
    var maxTokens: Int
    var stream = false

    enum CodingKeys: String, CodingKey {
        case model, messages, stream
        case maxTokens = "max_tokens"
    }
}

private struct ChatResponse: Decodable {
    struct Choice: Decodable {}
    struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }
    var choices: [Choice]
    var usage: Usage?
}
