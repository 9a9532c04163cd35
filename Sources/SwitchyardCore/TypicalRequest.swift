/// The request a task's prices and figures are compared on: what one typical request of the
/// task uses, so that a price per token, per image, per second of compute and per second of
/// audio become one cost per request. The sizes of every task live here and nowhere else:
///
/// | task | typical request | price unit shown |
/// |---|---|---|
/// | chat, completion | `typicalTokensIn` + `typicalTokensOut` of the scoring policy (500 + 200 tokens) | per request |
/// | embeddings | 500 input tokens | per 1M tokens |
/// | text-to-image | 1 image | per image |
/// | speech-to-text | 30 s of audio | per audio second |
/// | text-to-speech | 15 s of audio spoken | per audio second |
/// | text-to-video | 1 video | per request (or per second of compute when that is how it is priced) |
///
/// A request's compute seconds are the target's own latency figure for it.
public struct TypicalRequest: Hashable, Sendable {
    public var tokensIn: Int
    public var tokensOut: Int
    public var images: Int
    public var audioSeconds: Double

    public init(tokensIn: Int = 0, tokensOut: Int = 0, images: Int = 0, audioSeconds: Double = 0) {
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.images = images
        self.audioSeconds = audioSeconds
    }

    /// The typical request of `task` under `policy`.
    public static func of(_ task: InferenceTask, policy: ScoringPolicy) -> TypicalRequest {
        switch task {
        case .chat, .completion: TypicalRequest(tokensIn: policy.typicalTokensIn, tokensOut: policy.typicalTokensOut)
        case .embeddings: TypicalRequest(tokensIn: 500)
        case .textToImage: TypicalRequest(images: 1)
        case .speechToText: TypicalRequest(audioSeconds: 30)
        case .textToSpeech: TypicalRequest(audioSeconds: 15)
        case .textToVideo: TypicalRequest()
        }
    }

    /// USD of this request at `price`, taking `seconds` of compute.
    public func cost(at price: Price, seconds: Double) -> Double {
        price.cost(tokensIn: tokensIn, tokensOut: tokensOut, seconds: seconds, images: images, audioSeconds: audioSeconds)
    }

    /// `cost` (USD per typical request of `task`) in the task's unit: "$0.004 per image",
    /// "$0.0001 per audio s", "$0.02 per 1M tokens", "$0.0012 per request", "$0.01 per s of compute".
    public func priceReason(cost: Double, task: InferenceTask, price: Price) -> String {
        switch task {
        case .textToImage where images > 0: "\(Self.usd(cost / Double(images))) per image"
        case .speechToText, .textToSpeech: "\(Self.usd(cost / audioSeconds)) per audio s"
        case .embeddings where tokensIn > 0: "\(Self.usd(cost * 1_000_000 / Double(tokensIn))) per 1M tokens"
        case .textToVideo where price.perSecond != nil && price.perRequest == nil: "\(Self.usd(price.perSecond!)) per s of compute"
        default: "\(Self.usd(cost)) per request"
        }
    }

    /// "$0.004", "$1.20", "$0.00012": two significant digits below a cent.
    static func usd(_ value: Double) -> String {
        if value == 0 { return "$0" }
        var digits = 2
        var scaled = value * 100
        while scaled < 10, digits < 12 {
            scaled *= 10
            digits += 1
        }
        return "$" + fixed(value, digits: digits)
    }

    /// `value` with `digits` decimals, trailing zeros after the second dropped (no Foundation in Core).
    static func fixed(_ value: Double, digits: Int) -> String {
        // Past 10^15 there are no decimals left to show (and Int's range ends at 9.2 * 10^18).
        guard value.isFinite, abs(value) < 1e15 else { return value.isFinite ? "\(Int(saturating: value))" : "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let whole = (value * scale).rounded()
        let integer = Int(whole / scale)
        var fraction = String(Int(whole) - integer * Int(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        while fraction.count > 2, fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(integer).\(fraction)"
    }
}
