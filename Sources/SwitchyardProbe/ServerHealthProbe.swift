import SwitchyardConfig
import SwitchyardCore

/// Probes a self-hosted TGI or vLLM server. Liveness: `GET /health` answers 2xx, and for
/// vLLM `GET /v1/models` lists the model (TGI serves one model, so its health suffices).
/// Completion: the OpenAI-style streamed completion both servers offer.
struct ServerHealthProbe: Prober {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        if target.settings.mode == .completion { return await OpenAICompletion.probe(target, using: transport, now: now) }
        let health = await transport.perform(target.get(target.serverRoot + "/health"))
        if var failure = ResponseClassifier.httpFailure(health, now: now) {
            // A 404 here means no health route, not a missing model.
            if failure.outcome == .failure(.modelNotFound) { failure.outcome = .failure(.badResponse); failure.message = "GET /health: HTTP 404" }
            return failure
        }
        guard target.kind == .vllm else { return ProbeResult(outcome: .ok, httpStatus: health.status, timings: health.timings) }
        var listed = await OpenAIProbe.modelListed(target, url: target.openAIBase + "/models", transport: transport, now: now)
        listed.timings = health.timings.adding(listed.timings)
        return listed
    }
}

extension PhaseTimings {
    /// Two transfers made one after the other: phases of the first, total of both.
    func adding(_ next: PhaseTimings) -> PhaseTimings {
        PhaseTimings(dns: dns, connect: connect, tls: tls, firstByte: firstByte, total: total + next.total)
    }
}
