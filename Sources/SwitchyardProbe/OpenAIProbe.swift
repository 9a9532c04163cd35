import Foundation
import SwitchyardConfig
import SwitchyardCore

/// Probes an OpenAI-compatible API (the `openai` and `hf-router` kinds).
/// Liveness: `GET {base}/models` lists the model. Completion: a tiny streamed
/// `POST {base}/chat/completions`, measured as it arrives (see `OpenAICompletion`).
struct OpenAIProbe: Prober {
    /// Where liveness probes read the model list (one fetch shared per list and key); nil: each its own GET.
    var modelLists: ModelListReader?

    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        switch target.settings.mode {
        case .liveness: await Self.modelListed(target, url: target.openAIBase + "/models", transport: transport, now: now, reader: modelLists)
        case .completion: await OpenAICompletion.probe(target, using: transport, now: now)
        }
    }

    /// `GET url` must answer an OpenAI model list that names the target's upstream model.
    /// Through `reader`, the list may come from a fetch another probe started: then the result says
    /// so, and its timings are that shared fetch's, not this probe's own.
    static func modelListed(_ target: ProbeTarget, url: String, transport: any HTTPTransport, now: Timestamp,
                            reader: ModelListReader? = nil) async -> ProbeResult {
        let result: HTTPTransferResult
        var shared = false
        if let reader {
            (result, shared) = await reader.read(target.get(url), target.settings.intervalSeconds, transport)
        } else {
            result = await transport.perform(target.get(url))
        }
        var answer = listed(target, in: result, now: now)
        if shared { answer.message = answer.message.map { $0 + " (shared model-list fetch)" } ?? "model list from a shared fetch; its latency is that fetch's" }
        return answer
    }

    private static func listed(_ target: ProbeTarget, in result: HTTPTransferResult, now: Timestamp) -> ProbeResult {
        if let failure = ResponseClassifier.httpFailure(result, now: now) { return failure }
        // The Hugging Face router lists `org/model`; targets name `org/model:provider` (or `:fastest`, …).
        let listedID = target.kind == .hfRouter ? Self.routerModelID(target.upstreamModel) : target.upstreamModel
        let listed: Bool
        switch ModelListScanner.scan(result.body, wanted: [target.upstreamModel, listedID]) {
        case .list(let containsWanted):
            listed = containsWanted
        case .notAList:
            return ProbeResult(outcome: .failure(.badResponse), httpStatus: result.status, timings: result.timings, message: "GET /models: body is not a model list")
        case .undecided:
            // An escaped id: let the real decoder read the whole list.
            guard let list = try? JSONDecoder().decode(ModelList.self, from: Data(result.body)) else {
                return ProbeResult(outcome: .failure(.badResponse), httpStatus: result.status, timings: result.timings, message: "GET /models: body is not a model list")
            }
            listed = list.data.contains { $0.id == target.upstreamModel || $0.id == listedID }
        }
        guard listed else {
            return ProbeResult(outcome: .failure(.modelNotFound), httpStatus: result.status, timings: result.timings, message: "model '\(target.upstreamModel)' is not listed by /models")
        }
        return ProbeResult(outcome: .ok, httpStatus: result.status, timings: result.timings, servedBy: result.headers["x-inference-provider"])
    }

    /// `org/model:provider` → `org/model`; ids without a provider suffix stay as they are.
    static func routerModelID(_ upstream: String) -> String {
        guard let colon = upstream.lastIndex(of: ":"), !upstream[upstream.index(after: colon)...].contains("/") else { return upstream }
        return String(upstream[..<colon])
    }
}

private struct ModelList: Decodable {
    struct Model: Decodable { var id: String }
    var data: [Model]
}
