import Foundation
import SwitchyardCore

/// What the request leads the gateway to expect of an answer, read from the request's body:
/// one vector per input, of `dimensions` values; at most `n` images; for a transcript, the
/// length of the audio uploaded (what a `per_audio_second` price counts when the answer does not say).
struct AnswerExpectation: Sendable, Equatable {
    var answer = TaskAnswerExpectation()
    var uploadedAudioSeconds: Double?

    static func of(_ body: GatewayBody, endpoint: GatewayEndpoint) -> AnswerExpectation {
        switch body {
        case .multipart(let form):
            guard let file = form.parts.first(where: { $0.filename != nil }),
                  case .success(let measure) = TaskAnswers.check(.textToSpeech, body: Array(form.bytes[file.content]), contentType: nil) else {
                return AnswerExpectation()
            }
            return AnswerExpectation(uploadedAudioSeconds: measure.audioSeconds)
        case .json(let json):
            return AnswerExpectation(answer: task(json, endpoint: endpoint))
        }
    }

    private static func task(_ json: JSONBody, endpoint: GatewayEndpoint) -> TaskAnswerExpectation {
        switch endpoint {
        case .embeddings:
            return TaskAnswerExpectation(inputs: json.member("input").flatMap { inputCount(json.raw($0)) },
                                         dimensions: json.integer("dimensions").flatMap { $0 > 0 ? $0 : nil })
        case .imagesGenerations:
            return TaskAnswerExpectation(images: json.integer("n").flatMap { $0 > 0 ? $0 : nil })
        default:
            return TaskAnswerExpectation()
        }
    }

    /// Inputs of an embeddings request: 1 for a string or a list of token ids, else the list's length.
    static func inputCount(_ raw: ArraySlice<UInt8>) -> Int? {
        guard raw.first == UInt8(ascii: "[") else { return 1 }
        guard let list = (try? JSONSerialization.jsonObject(with: Data(raw))) as? [Any] else { return nil }
        return list.allSatisfy({ $0 is NSNumber }) ? 1 : list.count
    }
}

/// What an answer delivered, in its task's unit: what a `per_image` or `per_audio_second` price is counted on.
struct AnswerMeasure: Sendable, Equatable {
    var images = 0
    var audioSeconds: Double = 0
}

/// Whether a whole 2xx body is a valid answer of the endpoint's task: a chat completion with
/// `choices`, and for the other tasks the rules of `TaskAnswers` (vectors there and of the asked
/// size, images that decode whole, audio of a known format, a transcript). A body that is not
/// is a failed attempt with the class and reason it gives.
enum AnswerCheck {
    struct Checked: Sendable {
        var usage: Usage?
        var measure = AnswerMeasure()
    }

    struct Problem: Error, Sendable, Equatable {
        var errorClass: ErrorClass
        var why: String

        static func bad(_ why: String) -> Problem { Problem(errorClass: .badResponse, why: why) }
    }

    static func check(_ endpoint: GatewayEndpoint, _ bytes: [UInt8], contentType: String?, expectation: AnswerExpectation) -> Result<Checked, Problem> {
        switch endpoint {
        case .chatCompletions, .completions:
            guard let body = JSONBody(bytes) else { return .failure(.bad("a 200 whose body is not a JSON object")) }
            guard body.member("choices") != nil else { return .failure(.bad("a 200 without `choices`")) }
            return .success(Checked(usage: usage(of: body)))
        case .audioTranscriptions where !isJSON(contentType) && bytes.first != UInt8(ascii: "{"):
            // `response_format` text, srt or vtt: plain text, passed as it is.
            return .success(Checked(measure: AnswerMeasure(audioSeconds: expectation.uploadedAudioSeconds ?? 0)))
        case .embeddings, .imagesGenerations, .audioTranscriptions, .audioSpeech:
            switch TaskAnswers.check(endpoint.task, body: bytes, contentType: contentType, expecting: expectation.answer) {
            case .failure(let problem):
                return .failure(Problem(errorClass: problem.errorClass, why: problem.message))
            case .success(let measure):
                // Tokens of embeddings (and any answer that says them) count for token prices.
                let usage = bytes.first == UInt8(ascii: "{") ? JSONBody(bytes).flatMap(usage(of:)) : nil
                let seconds = measure.audioSeconds
                    ?? (endpoint == .audioTranscriptions ? JSONBody(bytes)?.number("duration") ?? expectation.uploadedAudioSeconds : nil)
                return .success(Checked(usage: usage, measure: AnswerMeasure(images: measure.images, audioSeconds: seconds ?? 0)))
            }
        }
    }

    private static func usage(of body: JSONBody) -> Usage? {
        body.member("usage").flatMap { Usage(usageJSON: body.raw($0)) }
    }

    private static func isJSON(_ contentType: String?) -> Bool {
        contentType?.lowercased().hasPrefix("application/json") == true
    }
}
