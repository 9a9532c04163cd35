import SwitchyardCore

/// What one completion probe may cost at most, in its task's unit, before it runs: the budget
/// reserves this much (`ProbePlan`), so a day's budget stops expensive probes before they cross it.
enum ProbeCostEstimate {
    /// Prompt tokens a probe's short input is counted as when the provider does not say.
    static let probeInputTokens = 64

    /// From the target's price: tokens for chat (`max_tokens` out) and embeddings (a short input);
    /// one image; the clip's seconds of audio for speech-to-text, the longest expected answer for
    /// text-to-speech; and for every task the per-request price and the whole timeout at the
    /// per-second price. Nothing without a price.
    static func usd(_ target: ProbeTarget) -> Double {
        guard let price = target.price else { return 0 }
        let seconds = target.settings.timeoutSeconds
        return switch target.task {
        case .chat, .completion: price.cost(tokensIn: probeInputTokens, tokensOut: target.settings.maxTokens, seconds: seconds)
        case .embeddings: price.cost(tokensIn: probeInputTokens, tokensOut: 0, seconds: seconds)
        case .textToImage: price.cost(tokensIn: 0, tokensOut: 0, seconds: seconds, images: 1)
        case .speechToText: price.cost(tokensIn: 0, tokensOut: 0, seconds: seconds, audioSeconds: TranscriptionProbe.clipSeconds)
        case .textToSpeech: price.cost(tokensIn: 0, tokensOut: 0, seconds: seconds, audioSeconds: SpeechProbe.maxSpokenSeconds)
        case .textToVideo: price.cost(tokensIn: 0, tokensOut: 0, seconds: seconds)
        }
    }
}
