import Foundation
import SwitchyardCore

/// Probes an Ollama server. Liveness: `GET /api/tags` lists the model. Completion: a
/// streamed `POST /api/chat` (NDJSON); tokens/s comes from Ollama's own
/// `eval_count` / `eval_duration`.
struct OllamaProbe: Prober {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        switch target.settings.mode {
        case .liveness: await tags(target, transport: transport, now: now)
        case .completion: await chat(target, transport: transport, now: now)
        }
    }

    private func tags(_ target: ProbeTarget, transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let result = await transport.perform(target.get(target.baseURL + "/api/tags"))
        if let failure = ResponseClassifier.httpFailure(result, now: now) { return failure }
        guard let tags = try? JSONDecoder().decode(Tags.self, from: Data(result.body)) else {
            return ProbeResult(outcome: .failure(.badResponse), httpStatus: result.status, timings: result.timings, message: "GET /api/tags: body is not a model list")
        }
        guard tags.models.contains(where: { $0.name == target.upstreamModel || $0.model == target.upstreamModel }) else {
            return ProbeResult(outcome: .failure(.modelNotFound), httpStatus: result.status, timings: result.timings, message: "model '\(target.upstreamModel)' is not pulled")
        }
        return ProbeResult(outcome: .ok, httpStatus: result.status, timings: result.timings)
    }

    private func chat(_ target: ProbeTarget, transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let meter = OllamaStreamMeter()
        let payload = ChatRequest(model: target.upstreamModel, options: .init(numPredict: target.settings.maxTokens))
        let request = target.streamedPost(target.baseURL + "/api/chat", payload: payload, meter: meter)
        let result = await transport.perform(request)
        return StreamVerdict.result(of: result, measured: meter.finish(), target: target, now: now, dialect: "NDJSON")
    }
}

private struct Tags: Decodable {
    struct Model: Decodable { var name: String; var model: String? }
    var models: [Model]
}

private struct ChatRequest: Encodable {
    struct Message: Encodable { var role = "user"; var content = "Say OK." }
    struct Options: Encodable {
        var numPredict: Int
        enum CodingKeys: String, CodingKey { case numPredict = "num_predict" }
    }
    var model: String
    var messages = [Message()]
    var stream = true
    var options: Options
}
