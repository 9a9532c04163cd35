/// What a target does: the request shape it answers, the figure that says it is fast, and the
/// defaults that fit how long such a request may take. Chat is the default everywhere.
public enum InferenceTask: String, CaseIterable, Hashable, Sendable, Codable {
    case chat
    case completion
    case embeddings
    case textToImage = "text-to-image"
    case speechToText = "speech-to-text"
    case textToSpeech = "text-to-speech"
    case textToVideo = "text-to-video"

    /// The task a Hugging Face Hub pipeline tag (`inferenceProviderMapping[].task`) stands for;
    /// nil for tasks Switchyard does not route.
    public init?(hubTask: String) {
        switch hubTask {
        case "conversational", "text-generation", "image-text-to-text": self = .chat
        case "feature-extraction", "sentence-similarity": self = .embeddings
        case "text-to-image": self = .textToImage
        case "automatic-speech-recognition": self = .speechToText
        case "text-to-speech", "text-to-audio": self = .textToSpeech
        case "text-to-video": self = .textToVideo
        default: return nil
        }
    }

    /// The Hub pipeline tag `huggingface_hub` uses for this task.
    public var hubTask: String {
        switch self {
        case .chat: "conversational"
        case .completion: "text-generation"
        case .embeddings: "feature-extraction"
        case .textToImage: "text-to-image"
        case .speechToText: "automatic-speech-recognition"
        case .textToSpeech: "text-to-speech"
        case .textToVideo: "text-to-video"
        }
    }

    /// Whether the answer streams tokens, so time to first token and tokens per second mean something.
    public var generatesText: Bool { self == .chat || self == .completion }

    /// The figure that says a target of this task is fast.
    public var latencyFigure: LatencyFigure {
        switch self {
        case .chat, .completion: .timeToFirstToken
        case .embeddings, .textToImage, .textToSpeech, .textToVideo: .totalTime
        case .speechToText: .computePerAudioSecond
        }
    }

    /// How long one attempt may take unless configured: what users expect such a request to take.
    public var defaultAttemptTimeoutSeconds: Double {
        switch self {
        case .chat, .completion: 30
        case .embeddings: 10
        case .textToImage, .speechToText, .textToSpeech: 60
        case .textToVideo: 300
        }
    }

    /// How often a target of this task is probed unless configured. Text tasks keep the plain
    /// probe default (15 s, as before tasks existed); the slow, billed tasks are probed less often.
    public var defaultProbeIntervalSeconds: Double {
        switch self {
        case .chat, .completion, .embeddings: 15
        case .textToImage, .speechToText, .textToSpeech: 60
        case .textToVideo: 300
        }
    }

    /// Whether a probe sends real work by default (`completion`) or only checks the model is
    /// listed (`liveness`): tasks whose every request is billed probe for liveness unless budgeted.
    public var probesByCompletionByDefault: Bool {
        switch self {
        case .chat, .completion, .embeddings, .speechToText: true
        case .textToImage, .textToSpeech, .textToVideo: false
        }
    }
}

/// The measurement a task's routing speaks in.
public enum LatencyFigure: String, Hashable, Sendable {
    /// Seconds until the first token, with tokens per second beside it (chat, completion).
    case timeToFirstToken = "ttft"
    /// Seconds for the whole answer (embeddings, an image, speech, a video).
    case totalTime = "total"
    /// Seconds of compute per second of audio transcribed (speech-to-text).
    case computePerAudioSecond = "compute_per_audio_second"
}
