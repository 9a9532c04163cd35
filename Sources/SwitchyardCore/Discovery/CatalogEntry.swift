/// One target a provider's catalog or model list offers: a Hub model at one partner provider of
/// Hugging Face's router, or one model a local server lists.
public struct CatalogEntry: Hashable, Sendable {
    /// The model id as the catalog names it: the Hub id (`meta-llama/Llama-3.1-8B-Instruct`) or the
    /// local server's own name (`llama3.1:8b`).
    public var model: String
    /// The router's partner provider (`together`); nil for a local server's list.
    public var partner: String?
    /// The published price, USD per million tokens.
    public var price: Price?
    /// What the catalog says the target can serve (context length, tools, modalities).
    public var capabilities: Capabilities
    /// The figures the catalog published for it (status, first-token latency, throughput); nil when none.
    public var published: PublishedFigures?
    /// The Hub pipeline tag the catalog gives for this target (`text-to-image`, `conversational`);
    /// nil when it gives none.
    public var hubTask: String?

    public init(model: String, partner: String? = nil, price: Price? = nil, capabilities: Capabilities = .unknown,
                published: PublishedFigures? = nil, hubTask: String? = nil) {
        self.hubTask = hubTask
        self.model = model
        self.partner = partner
        self.price = price
        self.capabilities = capabilities
        self.published = published
    }

    /// The task this entry is routed as: its Hub tag's (or a task's own name), nil for a tag
    /// Switchyard does not route (the entry is skipped), and `fallback` when the catalog gives none.
    public func task(or fallback: InferenceTask) -> InferenceTask? {
        guard let hubTask else { return fallback }
        return InferenceTask(hubTask: hubTask) ?? InferenceTask(rawValue: hubTask)
    }

    /// The id the provider's API takes for this entry: `MODEL:PARTNER` on the router, else the model.
    public var upstream: String { partner.map { "\(model):\($0)" } ?? model }
}

/// Where a catalog was read: the provider's base URL and kind then. A catalog is used only while
/// its provider still points there (after a `base_url` or `kind` change it is another endpoint's).
public struct CatalogSource: Hashable, Sendable {
    public var baseURL: String
    /// The provider kind's configuration name (`hf-router`, `ollama`, ...).
    public var kind: String

    public init(baseURL: String, kind: String) {
        self.baseURL = baseURL
        self.kind = kind
    }
}

/// A catalog as read from one provider: its entries in the provider's order, when and where it was read.
public struct DiscoveredCatalog: Hashable, Sendable {
    public var entries: [CatalogEntry]
    public var fetchedAt: Timestamp
    /// Where it was read; nil when unknown (a row stored before this was kept), which matches no provider.
    public var source: CatalogSource?

    public init(entries: [CatalogEntry], fetchedAt: Timestamp, source: CatalogSource? = nil) {
        self.entries = entries
        self.fetchedAt = fetchedAt
        self.source = source
    }
}
