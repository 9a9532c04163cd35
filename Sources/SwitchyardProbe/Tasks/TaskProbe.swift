import Foundation
import SwitchyardConfig
import SwitchyardCore

/// Probes a target of a task other than chat. Liveness: as its provider kind checks it (the model
/// is listed, the server is healthy). Completion: the task's own small request, one file per task
/// (`EmbeddingsProbe`, `ImageProbe`, `TranscriptionProbe`, `SpeechProbe`, `VideoProbe`), its
/// answer held to the task's rules by `TaskAnswers`: a broken answer is a failed probe, never a crash.
struct TaskProbe: Prober {
    /// The kind's own prober, for liveness.
    var liveness: any Prober

    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        guard target.settings.mode == .completion else { return await liveness.probe(target, using: transport, now: now) }
        return switch target.task {
        case .embeddings: await EmbeddingsProbe.probe(target, using: transport, now: now)
        case .textToImage: await ImageProbe.probe(target, using: transport, now: now)
        case .speechToText: await TranscriptionProbe.probe(target, using: transport, now: now)
        case .textToSpeech: await SpeechProbe.probe(target, using: transport, now: now)
        case .textToVideo: await VideoProbe.probe(target, using: transport, now: now)
        case .chat, .completion: await liveness.probe(target, using: transport, now: now)
        }
    }
}

/// Turns a finished task request into a probe result: transport and HTTP failures as for chat,
/// then the answer checked by `TaskAnswers` (its problem's class and message on failure), and on
/// success the total time, what it cost and the audio seconds.
enum TaskVerdict {
    static func result(of result: HTTPTransferResult, task: InferenceTask, target: ProbeTarget, now: Timestamp,
                       expecting expectation: TaskAnswerExpectation = TaskAnswerExpectation(),
                       cost: (TaskAnswerMeasure) -> Double) -> ProbeResult {
        let servedBy = result.headers["x-inference-provider"]
        if var failure = ResponseClassifier.httpFailure(result, now: now) {
            failure.servedBy = servedBy
            return failure
        }
        switch TaskAnswers.check(task, body: result.body, contentType: result.headers["content-type"], expecting: expectation) {
        case .failure(let problem):
            return ProbeResult(outcome: .failure(problem.errorClass), httpStatus: result.status, timings: result.timings,
                               servedBy: servedBy, message: problem.message)
        case .success(let measure):
            var answer = ProbeResult(outcome: .ok, httpStatus: result.status, timings: result.timings,
                                     costUSD: target.price == nil ? nil : cost(measure), servedBy: servedBy,
                                     message: measure.byReference ? "the answer gave its media by URL; the bytes were not checked" : nil)
            answer.audioSeconds = measure.audioSeconds
            return answer
        }
    }
}

extension ProbeTarget {
    /// A POST of `body` (typed `contentType`) to `url` with this target's credentials and timeouts, reading up
    /// to `maxBodyBytes` (at least the configured cap) and the content type of the answer.
    func taskPost(_ url: String, body: [UInt8], contentType: String = "application/json", maxBodyBytes: Int = 0,
                  timeoutSeconds: Double? = nil) -> HTTPRequest {
        var request = HTTPRequest(
            url: url, method: .post, headers: authorizationHeaders + ["Content-Type: \(contentType)"], body: body,
            connectTimeoutSeconds: settings.connectTimeoutSeconds, timeoutSeconds: timeoutSeconds ?? settings.timeoutSeconds,
            maxBodyBytes: max(settings.maxBodyBytes, maxBodyBytes)
        )
        request.responseHeaderNames = Self.headersTaskProbesRead
        return request
    }

    /// A JSON POST of `payload`.
    func taskPost(_ url: String, json payload: some Encodable, maxBodyBytes: Int = 0) -> HTTPRequest {
        taskPost(url, body: Array((try? JSONEncoder().encode(payload)) ?? Data()), maxBodyBytes: maxBodyBytes)
    }

    /// What task probes read of an answer's headers: those every probe reads, and the content type.
    static let headersTaskProbesRead = headersProbesRead + ["content-type"]
}
