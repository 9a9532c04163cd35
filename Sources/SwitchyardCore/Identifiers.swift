/// The configured name of a provider, e.g. `together` or `local-vllm`.
public struct ProviderID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: ProviderID, rhs: ProviderID) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The model name clients ask for, e.g. `llama-3.1-8b` (not the provider's upstream id).
public struct ModelName: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: ModelName, rhs: ModelName) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A (provider, model) pair: the unit that is probed, scored and routed.
public struct Target: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let provider: ProviderID
    public let model: ModelName
    public init(provider: ProviderID, model: ModelName) {
        self.provider = provider
        self.model = model
    }
    public var description: String { "\(provider)/\(model)" }
    public static func < (lhs: Target, rhs: Target) -> Bool {
        (lhs.provider, lhs.model) < (rhs.provider, rhs.model)
    }
}
