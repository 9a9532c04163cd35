import SwitchyardCore

/// What the request leads the gateway to expect of an answer, read from the request's body.
struct AnswerExpectation: Sendable, Equatable {
    /// Embeddings: the vector length asked for (`dimensions`); nil when the model decides.
    var dimensions: Int?

    static func of(_ body: GatewayBody, endpoint: GatewayEndpoint) -> AnswerExpectation {
        guard endpoint == .embeddings, let json = body.json else { return AnswerExpectation() }
        return AnswerExpectation(dimensions: json.integer("dimensions").flatMap { $0 > 0 ? $0 : nil })
    }
}

/// What an answer delivered, in its task's unit: what a `per_image` or `per_audio_second` price is counted on.
struct AnswerMeasure: Sendable, Equatable {
    var images = 0
    var audioSeconds: Double = 0
}

/// Whether a whole 2xx body is a valid answer of the endpoint's task: a chat completion with
/// `choices`, embeddings whose vectors are there and of the asked size, images that decode,
/// a transcript, audio. A body that is not is a failed attempt with a class that says why.
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
            return jsonAnswer(bytes, member: "choices").map { Checked(usage: usage(of: $0)) }
        case .embeddings:
            return jsonAnswer(bytes, member: "data").flatMap { body in
                TaskAnswerRules.embeddings(body, dimensions: expectation.dimensions).map { _ in Checked(usage: usage(of: body)) }
            }
        case .imagesGenerations:
            return jsonAnswer(bytes, member: "data").flatMap { body in
                TaskAnswerRules.images(body).map { count in Checked(usage: usage(of: body), measure: AnswerMeasure(images: count)) }
            }
        case .audioTranscriptions:
            // `response_format` text, srt or vtt answer plain text; json and verbose_json an object with `text`.
            guard isJSON(contentType) || bytes.first == UInt8(ascii: "{") else { return .success(Checked()) }
            return jsonAnswer(bytes, member: "text").map { body in
                Checked(usage: usage(of: body), measure: AnswerMeasure(audioSeconds: body.number("duration") ?? 0))
            }
        case .audioSpeech:
            guard !bytes.isEmpty else { return .failure(.bad("an empty body where audio was expected")) }
            guard !isJSON(contentType) else { return .failure(.bad("a JSON body where audio was expected")) }
            return TaskAnswerRules.audio(bytes).map { seconds in Checked(measure: AnswerMeasure(audioSeconds: seconds ?? 0)) }
        }
    }

    /// The body as a JSON object that has `member`, or the problem.
    private static func jsonAnswer(_ bytes: [UInt8], member: String) -> Result<JSONBody, Problem> {
        guard let body = JSONBody(bytes) else { return .failure(.bad("a 200 whose body is not a JSON object")) }
        guard body.member(member) != nil else { return .failure(.bad("a 200 without `\(member)`")) }
        return .success(body)
    }

    private static func usage(of body: JSONBody) -> Usage? {
        body.member("usage").flatMap { Usage(usageJSON: body.raw($0)) }
    }

    private static func isJSON(_ contentType: String?) -> Bool {
        contentType?.lowercased().hasPrefix("application/json") == true
    }
}
