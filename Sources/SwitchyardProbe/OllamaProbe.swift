import Foundation
import SwitchyardCore

/// Probes an Ollama server: `GET /api/tags` must list the model.
struct OllamaProbe: Prober {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let request = HTTPRequest(
            url: target.baseURL + "/api/tags", headers: target.authorizationHeaders,
            connectTimeoutSeconds: target.settings.connectTimeoutSeconds, timeoutSeconds: target.settings.timeoutSeconds
        )
        let result = await transport.perform(request)
        if let failure = ResponseClassifier.httpFailure(result, now: now) { return failure }
        guard let tags = try? JSONDecoder().decode(Tags.self, from: Data(result.body)) else {
            return ProbeResult(outcome: .failure(.badResponse), httpStatus: result.status, timings: result.timings, message: "GET /api/tags: body is not a model list")
        }
        guard tags.models.contains(where: { $0.name == target.upstreamModel || $0.model == target.upstreamModel }) else {
            return ProbeResult(outcome: .failure(.modelNotFound), httpStatus: result.status, timings: result.timings, message: "model '\(target.upstreamModel)' is not pulled")
        }
        return ProbeResult(outcome: .ok, httpStatus: result.status, timings: result.timings)
    }
}

private struct Tags: Decodable {
    struct Model: Decodable { var name: String; var model: String? }
    var models: [Model]
}
