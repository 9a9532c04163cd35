/// A kind of content a model takes in or gives out.
public enum Modality: String, CaseIterable, Hashable, Sendable, Codable {
    case text, image, audio, video
}

/// What a target can serve: from config (`capabilities:`), from a provider's catalog, or learned
/// from its answers. A nil field is unknown, which is not the same as "no".
public struct Capabilities: Hashable, Sendable {
    /// The longest prompt plus answer in tokens.
    public var contextLength: Int?
    /// Whether the target accepts `tools` / `tool_choice`.
    public var tools: Bool?
    /// Whether the target honours `response_format` of type `json_schema` / `json_object`.
    public var structuredOutput: Bool?
    public var inputModalities: Set<Modality>?
    public var outputModalities: Set<Modality>?

    public init(contextLength: Int? = nil, tools: Bool? = nil, structuredOutput: Bool? = nil,
                inputModalities: Set<Modality>? = nil, outputModalities: Set<Modality>? = nil) {
        self.contextLength = contextLength
        self.tools = tools
        self.structuredOutput = structuredOutput
        self.inputModalities = inputModalities
        self.outputModalities = outputModalities
    }

    /// Nothing known.
    public static let unknown = Capabilities()

    /// These capabilities with every field `other` knows taking its place (config over catalog).
    public func overridden(by other: Capabilities) -> Capabilities {
        Capabilities(contextLength: other.contextLength ?? contextLength, tools: other.tools ?? tools,
                     structuredOutput: other.structuredOutput ?? structuredOutput,
                     inputModalities: other.inputModalities ?? inputModalities,
                     outputModalities: other.outputModalities ?? outputModalities)
    }
}
