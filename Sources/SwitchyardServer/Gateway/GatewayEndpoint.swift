import SwitchyardCore

/// The OpenAI-style endpoints the gateway forwards: one table, so another task (images,
/// audio) is one more case here, not another handler.
public enum GatewayEndpoint: String, CaseIterable, Sendable {
    case chatCompletions = "chat_completions"
    case completions
    case embeddings

    /// The path under the provider's OpenAI base (`…/v1`), the same as ours under `/v1`.
    var upstreamPath: String {
        switch self {
        case .chatCompletions: "/chat/completions"
        case .completions: "/completions"
        case .embeddings: "/embeddings"
        }
    }

    /// Whether the answer is generated text (long non-streaming answers, usage chunks in streams).
    var generates: Bool { self != .embeddings }

    /// The attempt timeout when the model sets no `attempt_timeout`.
    func defaultAttemptTimeout(streaming: Bool) -> Double {
        AttemptTimeouts.defaultSeconds(streaming: streaming, generates: generates)
    }
}
