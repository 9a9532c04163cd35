/// Where a target came from.
public enum TargetOrigin: Hashable, Sendable {
    /// Written in the configuration file (or the embedded default).
    case configured
    /// Created by `discover:` from the named provider's catalog or model list.
    case discovered
}

/// A catalog's status for one (model, provider) pair, as Hugging Face's router publishes it.
public enum CatalogStatus: String, Hashable, Sendable, Codable {
    case live, staging, error
}

/// Figures a provider's catalog publishes for a target. They seed its statistics as a prior with a
/// small weight until local probes and reports outweigh them; nil fields were not published.
public struct PublishedFigures: Hashable, Sendable {
    public var firstTokenLatencyMs: Double?
    /// Output tokens per second.
    public var tokensPerSecond: Double?
    public var status: CatalogStatus?

    public init(firstTokenLatencyMs: Double? = nil, tokensPerSecond: Double? = nil, status: CatalogStatus? = nil) {
        self.firstTokenLatencyMs = firstTokenLatencyMs
        self.tokensPerSecond = tokensPerSecond
        self.status = status
    }
}
