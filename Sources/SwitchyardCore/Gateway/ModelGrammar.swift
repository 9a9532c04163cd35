/// What a request's `model` names, after the grammar shared by the gateway and `/v1/route`:
/// `NAME`, an upstream id, either with `:STRATEGY` or `:PROVIDER` (pinned, no failover).
public struct ModelSelection: Hashable, Sendable {
    public var model: ModelName
    /// From a `:balanced|latency|fastest|cheapest|preferred` suffix.
    public var strategy: RoutingStrategy?
    /// From a `:PROVIDER` suffix: only that provider, and no failover to others.
    public var pinned: ProviderID?

    public init(model: ModelName, strategy: RoutingStrategy? = nil, pinned: ProviderID? = nil) {
        self.model = model
        self.strategy = strategy
        self.pinned = pinned
    }
}

/// The configured names a `model` text may use: model names, upstream ids, providers.
/// Built once per configuration; resolving is a few dictionary lookups.
public struct ModelCatalog: Sendable {
    private var names: Set<ModelName> = []
    private var upstreams: [String: ModelName] = [:]
    private var providers: Set<ProviderID> = []
    /// Every model name, sorted (for "unknown model" answers and `/v1/models`).
    public private(set) var known: [ModelName] = []
    /// Providers serving each model, in configuration order.
    public private(set) var providersByModel: [ModelName: [ProviderID]] = [:]

    public init(descriptors: [TargetDescriptor]) {
        for descriptor in descriptors {
            let target = descriptor.target
            names.insert(target.model)
            providers.insert(target.provider)
            // The first configured model wins an upstream id that two models share.
            if upstreams[descriptor.upstreamModel] == nil { upstreams[descriptor.upstreamModel] = target.model }
            providersByModel[target.model, default: []].append(target.provider)
        }
        known = names.sorted()
    }

    /// Resolves `text`: the whole text as a name or upstream id first (upstream ids may hold
    /// colons, `org/model:partner`), then `BASE:SUFFIX` split at the last colon, where the
    /// suffix is a strategy or a provider that serves the model. Nil when nothing matches.
    public func resolve(_ text: String) -> ModelSelection? {
        if let model = base(Substring(text)) { return ModelSelection(model: model) }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let suffix = String(text[text.index(after: colon)...])
        guard let model = base(text[..<colon]) else { return nil }
        if let strategy = RoutingStrategy(rawValue: suffix) { return ModelSelection(model: model, strategy: strategy) }
        let provider = ProviderID(suffix)
        guard providersByModel[model]?.contains(provider) == true else { return nil }
        return ModelSelection(model: model, pinned: provider)
    }

    private func base(_ text: Substring) -> ModelName? {
        let name = ModelName(String(text))
        if names.contains(name) { return name }
        return upstreams[String(text)]
    }
}
