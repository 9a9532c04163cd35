import SwitchyardCore

/// The OpenAI-style endpoints the gateway forwards: one table, so another task is one more
/// case here, not another handler. Each says its path, its task, how its body is read and what
/// its answer must look like.
public enum GatewayEndpoint: String, CaseIterable, Sendable {
    case chatCompletions = "chat_completions"
    case completions
    case embeddings
    case imagesGenerations = "images_generations"
    case audioTranscriptions = "audio_transcriptions"
    case audioSpeech = "audio_speech"

    /// The path under the provider's OpenAI base (`…/v1`), the same as ours under `/v1`.
    var upstreamPath: String {
        switch self {
        case .chatCompletions: "/chat/completions"
        case .completions: "/completions"
        case .embeddings: "/embeddings"
        case .imagesGenerations: "/images/generations"
        case .audioTranscriptions: "/audio/transcriptions"
        case .audioSpeech: "/audio/speech"
        }
    }

    /// What a target must do to serve this endpoint.
    var task: InferenceTask {
        switch self {
        case .chatCompletions: .chat
        case .completions: .completion
        case .embeddings: .embeddings
        case .imagesGenerations: .textToImage
        case .audioTranscriptions: .speechToText
        case .audioSpeech: .textToSpeech
        }
    }

    /// The tasks whose targets serve it, in order of preference: the legacy `/v1/completions`
    /// is served by chat targets too (vLLM, TGI and Ollama answer both), when the model has no completion ones.
    var routeTasks: [InferenceTask] { self == .completions ? [.completion, .chat] : [task] }

    /// How the request body arrives: JSON, or a multipart upload (a file beside form fields).
    enum BodyForm: Sendable { case json, multipart }

    var bodyForm: BodyForm { self == .audioTranscriptions ? .multipart : .json }

    /// Whether the answer is generated text (long non-streaming answers, usage chunks in streams).
    var generates: Bool { task.generatesText }

    /// Whether the answer is bytes of a file (audio), passed through with its content type, not JSON.
    var answersWithBinary: Bool { self == .audioSpeech }

    /// The attempt timeout when the model sets no `attempt_timeout`: by task (an image may take a
    /// minute, embeddings ten seconds), and for text by whether it streams.
    func defaultAttemptTimeout(streaming: Bool) -> Double {
        AttemptTimeouts.defaultSeconds(task: task, streaming: streaming)
    }
}
