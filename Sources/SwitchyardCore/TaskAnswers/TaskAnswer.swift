/// What a valid answer of a non-chat task held: the figures reports, prices and scores need.
public struct TaskAnswerMeasure: Hashable, Sendable {
    /// Vectors in an embeddings answer.
    public var vectors = 0
    /// Their length (all have the same).
    public var dimensions: Int?
    /// Images in an image answer (including ones given only by URL).
    public var images = 0
    /// Seconds of audio in a speech answer, where the format tells.
    public var audioSeconds: Double?
    /// Characters of a transcription.
    public var transcriptCharacters: Int?
    /// Media given only by URL: its bytes were not seen, so not checked.
    public var byReference = false

    public init() {}
}

/// Why an answer is not a valid answer of its task: always a failed attempt, never a crash.
public struct TaskAnswerProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var errorClass: ErrorClass
    /// What was wrong, in words an operator can act on; never quotes the body.
    public var message: String

    public init(_ message: String, errorClass: ErrorClass = .badResponse) {
        self.errorClass = errorClass
        self.message = message
    }

    public var description: String { "\(errorClass.rawValue): \(message)" }
}

/// What the request asked for, so the answer can be held to it; nil parts are not checked.
public struct TaskAnswerExpectation: Hashable, Sendable {
    /// How many inputs an embeddings request sent (one vector each).
    public var inputs: Int?
    /// The vector length asked for (`dimensions`) or known for the model.
    public var dimensions: Int?
    /// How many images were asked for (`n`); the answer must hold at least one and at most this.
    public var images: Int?

    public init(inputs: Int? = nil, dimensions: Int? = nil, images: Int? = nil) {
        self.inputs = inputs
        self.dimensions = dimensions
        self.images = images
    }
}

/// Checks the answer of a non-chat task, in the OpenAI shape or the Hugging Face one (raw media
/// bytes with their content type, or the JSON partner providers send), so probes and the gateway
/// hold every provider to the same rules.
public enum TaskAnswers {
    /// The measure of a valid answer, or what is wrong with it. Chat and completion answers are
    /// checked elsewhere (their streams); here they pass as they are.
    public static func check(_ task: InferenceTask, body: [UInt8], contentType: String?,
                             expecting expectation: TaskAnswerExpectation = TaskAnswerExpectation()) -> Result<TaskAnswerMeasure, TaskAnswerProblem> {
        do {
            switch task {
            case .chat, .completion: return .success(TaskAnswerMeasure())
            case .embeddings: return .success(try EmbeddingsAnswer.measure(body, expecting: expectation))
            case .textToImage: return .success(try ImageAnswer.measure(body, contentType: contentType, expecting: expectation))
            case .speechToText: return .success(try TranscriptionAnswer.measure(body))
            case .textToSpeech: return .success(try MediaAnswer.measureAudio(body, contentType: contentType))
            case .textToVideo: return .success(try MediaAnswer.measureVideo(body, contentType: contentType))
            }
        } catch let problem as TaskAnswerProblem {
            return .failure(problem)
        } catch {
            return .failure(TaskAnswerProblem("the answer could not be read"))
        }
    }

    /// The media type without parameters, lowercased (`image/png; x=y` → `image/png`).
    static func mediaType(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let bare = contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? contentType
        return bare.trimmingWhitespace().lowercased()
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
