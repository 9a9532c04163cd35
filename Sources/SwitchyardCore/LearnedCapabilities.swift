/// A feature a target's own error answer said it does not support.
public enum UnsupportedFeature: String, Hashable, Sendable, CaseIterable {
    case tools
    case structuredOutput = "structured_output"

    /// What a route says of a target that lacks it.
    var lacking: String { self == .tools ? "no tool calling" : "no structured output" }

    /// The features that a 400 answer's body says are unsupported, among those `asked` of it.
    /// The phrasings of OpenAI-compatible servers: "does not support tools", "tool use is not
    /// supported", vLLM's "\"auto\" tool choice requires --enable-auto-tool-choice",
    /// "response_format … is not supported", "structured output(s) … not supported".
    public static func said(in body: String, asked: Set<UnsupportedFeature>) -> Set<UnsupportedFeature> {
        guard !asked.isEmpty else { return [] }
        let text = body.lowercased()
        let refusal = ["not support", "unsupported", "not supported", "not available", "not enabled", "requires --enable"]
            .contains { text.contains($0) }
        guard refusal else { return [] }
        var said: Set<UnsupportedFeature> = []
        if asked.contains(.tools), ["tool", "function call", "function_call"].contains(where: { text.contains($0) }) { said.insert(.tools) }
        if asked.contains(.structuredOutput), ["response_format", "structured output", "json_schema", "json_object", "json mode", "guided"]
            .contains(where: { text.contains($0) }) {
            said.insert(.structuredOutput)
        }
        return said
    }
}

/// What one target's answers taught: features it refused with a 400, each until a time, after
/// which the configured (or catalog) capability applies again. Pure; time is a parameter.
public struct LearnedCapabilities: Hashable, Sendable {
    /// How long a refusal is believed when `learn` is not told otherwise: long enough not to
    /// send the next requests there, short enough that a provider that adds the feature is tried again.
    public static let defaultSeconds: Double = 3600

    /// Each refused feature and when that belief ends.
    public private(set) var unsupportedUntil: [UnsupportedFeature: Timestamp] = [:]

    public init() {}

    /// Records that the target refused `feature` at `now`; says whether it is news (not already believed).
    @discardableResult
    public mutating func learn(_ feature: UnsupportedFeature, at now: Timestamp, forSeconds seconds: Double = defaultSeconds) -> Bool {
        let wasBelieved = believes(feature, at: now)
        unsupportedUntil[feature] = now + seconds
        return !wasBelieved
    }

    /// Whether the target is believed to lack `feature` at `now`.
    public func believes(_ feature: UnsupportedFeature, at now: Timestamp) -> Bool {
        unsupportedUntil[feature].map { now < $0 } ?? false
    }

    public var isEmpty: Bool { unsupportedUntil.isEmpty }

    /// `capabilities` with what is believed at `now` taking precedence (a learned "no" over a configured "yes").
    public func applied(to capabilities: Capabilities, at now: Timestamp) -> Capabilities {
        guard !unsupportedUntil.isEmpty else { return capabilities }
        var result = capabilities
        if believes(.tools, at: now) { result.tools = false }
        if believes(.structuredOutput, at: now) { result.structuredOutput = false }
        return result
    }

    /// Route reasons for what is believed at `now`, e.g. "learned: no tool calling (a 400 said so) until 13:05:00".
    public func reasons(at now: Timestamp) -> [String] {
        UnsupportedFeature.allCases.compactMap { feature in
            guard let until = unsupportedUntil[feature], now < until else { return nil }
            return "learned: \(feature.lacking) (a 400 said so) until \(until.timeOfDay)"
        }
    }
}
