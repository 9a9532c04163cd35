import Foundation
import SwitchyardCore

/// The embeddings completion probe: `POST {base}/embeddings` with one short input; the answer
/// must hold one non-empty vector of finite numbers (of `dimensions` when the probe asks for them).
enum EmbeddingsProbe {
    /// The input: a few tokens.
    static let input = "Switchyard health probe."

    static func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let request = target.taskPost(target.taskBase + "/embeddings", json: Ask(model: target.upstreamModel, input: input))
        let result = await transport.perform(request)
        let tokens = (try? JSONDecoder().decode(Usage.self, from: Data(result.body)))?.usage?.promptTokens
        var answer = TaskVerdict.result(of: result, task: .embeddings, target: target, now: now, expecting: TaskAnswerExpectation(inputs: 1)) { _ in
            target.price?.cost(tokensIn: tokens ?? ProbeCostEstimate.probeInputTokens, tokensOut: 0, seconds: result.timings.total) ?? 0
        }
        if answer.outcome == .ok { answer.tokensIn = tokens }
        return answer
    }

    private struct Ask: Encodable {
        var model: String
        var input: String
    }

    private struct Usage: Decodable {
        struct Counts: Decodable {
            var promptTokens: Int?
            enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens" }
        }
        var usage: Counts?
    }
}
