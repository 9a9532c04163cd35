/// What one request needs of a target: from `/v1/route?needs=…&min_context=N`, or derived by
/// the gateway (and the clients) from the request body itself.
public struct CapabilityNeeds: Hashable, Sendable {
    /// `tools` / `tool_choice` in the request.
    public var tools: Bool
    /// `response_format` of type `json_schema` / `json_object`.
    public var structuredOutput: Bool
    /// Image parts in the messages.
    public var vision: Bool
    /// Tokens of prompt plus answer; nil: no bound.
    public var minContext: Int?

    public init(tools: Bool = false, structuredOutput: Bool = false, vision: Bool = false, minContext: Int? = nil) {
        self.tools = tools
        self.structuredOutput = structuredOutput
        self.vision = vision
        self.minContext = minContext
    }

    /// Nothing needed: every target can serve.
    public static let none = CapabilityNeeds()

    public var isEmpty: Bool { !tools && !structuredOutput && !vision && minContext == nil }

    /// The `needs=` tokens, in this order: `tools`, `structured_output`, `vision`.
    public var tokens: [String] {
        (tools ? ["tools"] : []) + (structuredOutput ? ["structured_output"] : []) + (vision ? ["vision"] : [])
    }

    /// Parses the `needs=` list; the error is the first token that is not a capability.
    public static func parse(needs text: String) -> Result<CapabilityNeeds, UnknownNeed> {
        var needs = CapabilityNeeds()
        for token in text.split(separator: ",", omittingEmptySubsequences: false) {
            switch token {
            case "tools": needs.tools = true
            case "structured_output": needs.structuredOutput = true
            case "vision": needs.vision = true
            default: return .failure(UnknownNeed(token: String(token)))
            }
        }
        return .success(needs)
    }

    /// A `needs=` token that names no capability.
    public struct UnknownNeed: Error, Hashable {
        public var token: String
        public init(token: String) { self.token = token }
    }

    /// How `capabilities` meet these needs: every need known to be met, one known not to be
    /// (the target is left out), or some not known either way.
    public func fit(_ capabilities: Capabilities) -> CapabilityFit {
        if isEmpty { return .fits }
        var lacks: [String] = []
        var unknown: [String] = []
        func check(_ needed: Bool, _ has: Bool?, lacking: String, unknownText: String) {
            guard needed else { return }
            switch has {
            case true?: break
            case false?: lacks.append(lacking)
            case nil: unknown.append(unknownText)
            }
        }
        check(tools, capabilities.tools, lacking: "no tool calling", unknownText: "tool support unknown")
        check(structuredOutput, capabilities.structuredOutput, lacking: "no structured output", unknownText: "structured output support unknown")
        check(vision, capabilities.inputModalities.map { $0.contains(.image) }, lacking: "no image input", unknownText: "image input unknown")
        if let minContext {
            if let length = capabilities.contextLength {
                if length < minContext { lacks.append("context \(length) < \(minContext) needed") }
            } else {
                unknown.append("context length unknown")
            }
        }
        if !lacks.isEmpty { return .lacks(lacks.joined(separator: "; ")) }
        return unknown.isEmpty ? .fits : .unknown(unknown)
    }
}

/// How one target's capabilities meet a request's needs.
public enum CapabilityFit: Hashable, Sendable {
    /// Known to have everything needed.
    case fits
    /// Nothing known to be missing, but these needs are not known to be met (kept, ranked after those that fit).
    case unknown([String])
    /// Known to lack something: the reason it is left out.
    case lacks(String)
}

/// A target a route left out because it cannot serve the query's needs.
public struct RouteExclusion: Hashable, Sendable, Encodable {
    public var provider: ProviderID
    public var reason: String

    public init(provider: ProviderID, reason: String) {
        self.provider = provider
        self.reason = reason
    }
}
