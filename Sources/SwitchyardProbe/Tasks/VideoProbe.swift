import Foundation
import SwitchyardCore

/// The text-to-video completion probe (budgeted: videos are the dearest task), in the `/videos`
/// job shape OpenRouter serves (`/api/v1/videos`) and OpenAI's video API introduced: `POST
/// {base}/videos` with the model and a prompt as JSON (length and size left to the model's
/// defaults, which differ per model), `GET {base}/videos/{id}` until the job says `completed`
/// (the first poll at once, then after 1, 2, 4… s, at most 10 s apart; `failed`, `cancelled` or
/// `expired` end it), then `GET {base}/videos/{id}/content`, which must be a whole MP4 or WebM.
/// All of it within the probe's timeout; the total time is the whole job's.
enum VideoProbe {
    /// The most a probe downloads of a video.
    static let maxVideoBytes = 64 << 20

    static func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let clock = ContinuousClock(), start = clock.now
        func remaining() -> Double { target.settings.timeoutSeconds - (clock.now - start) / .seconds(1) }
        let base = target.taskBase + "/videos"
        var transfer = await transport.perform(target.taskPost(base, json: Ask(model: target.upstreamModel, prompt: "A red circle rolling left to right.")))
        var timings = transfer.timings
        var polls = 0, jobID = ""
        while true {
            if var failure = ResponseClassifier.httpFailure(transfer, now: now) {
                failure.timings = timings
                return failure
            }
            guard let job = try? JSONDecoder().decode(Job.self, from: Data(transfer.body)), !job.id.isEmpty,
                  job.id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                return ProbeResult(outcome: .failure(.badResponse), httpStatus: transfer.status, timings: timings, message: "the answer is not a video job (`id`, `status`)")
            }
            jobID = job.id
            if job.status == "completed" { break }
            if ["failed", "cancelled", "expired"].contains(job.status) {
                return ProbeResult(outcome: .failure(.serverError), httpStatus: transfer.status, timings: timings, message: "the provider says the video job \(job.status)")
            }
            let pause = polls == 0 ? 0 : min(Double(1 << min(polls - 1, 4)), 10)
            guard remaining() > pause else {
                return ProbeResult(outcome: .failure(.timeout), httpStatus: transfer.status, timings: timings,
                                   message: "the video job was still \(job.status) when the probe's timeout came")
            }
            if pause > 0 { try? await Task.sleep(for: .seconds(pause)) }
            if Task.isCancelled { return ProbeResult(outcome: .failure(.canceled), timings: timings, message: "probe canceled") }
            transfer = await transport.perform(request(target, base + "/" + job.id, timeout: remaining(), maxBodyBytes: 0))
            timings = timings.adding(transfer.timings)
            polls += 1
        }
        let content = await transport.perform(request(target, base + "/" + jobID + "/content",
                                                      timeout: max(remaining(), 0.001), maxBodyBytes: maxVideoBytes))
        var answer = TaskVerdict.result(of: content, task: .textToVideo, target: target, now: now) { _ in
            target.price?.cost(tokensIn: 0, tokensOut: 0, seconds: (clock.now - start) / .seconds(1)) ?? 0
        }
        answer.timings = timings.adding(content.timings)
        answer.timings.total = max(answer.timings.total, (clock.now - start) / .seconds(1))
        return answer
    }

    /// A GET with the target's credentials, the time left and a cap of at least `maxBodyBytes`.
    private static func request(_ target: ProbeTarget, _ url: String, timeout: Double, maxBodyBytes: Int) -> HTTPRequest {
        var request = target.get(url)
        request.timeoutSeconds = timeout
        request.maxBodyBytes = max(request.maxBodyBytes, maxBodyBytes)
        request.responseHeaderNames = ProbeTarget.headersTaskProbesRead
        return request
    }

    private struct Ask: Encodable {
        var model: String
        var prompt: String
    }

    private struct Job: Decodable {
        var id: String
        var status: String
    }
}
