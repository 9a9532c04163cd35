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
    /// Upstream ids of targets discovered from a router catalog (`MODEL:PARTNER`): the router
    /// pins such an id to its partner, and so does this grammar.
    private var partnerUpstreams: [String: ProviderID] = [:]
    /// Every model name, sorted (for "unknown model" answers and `/v1/models`).
    public private(set) var known: [ModelName] = []
    /// Providers serving each model, in configuration order.
    public private(set) var providersByModel: [ModelName: [ProviderID]] = [:]
    /// The tasks each model's targets do, in `InferenceTask` order (`/v1/models`' `tasks`).
    public private(set) var tasksByModel: [ModelName: [InferenceTask]] = [:]

    public init(descriptors: [TargetDescriptor]) {
        var tasks: [ModelName: Set<InferenceTask>] = [:]
        for descriptor in descriptors {
            let target = descriptor.target
            names.insert(target.model)
            providers.insert(target.provider)
            // The first configured model wins an upstream id that two models share.
            if upstreams[descriptor.upstreamModel] == nil { upstreams[descriptor.upstreamModel] = target.model }
            if descriptor.origin == .discovered, let partner = Self.partner(of: target.provider),
               descriptor.upstreamModel.hasSuffix(":" + partner) {
                partnerUpstreams[descriptor.upstreamModel] = target.provider
            }
            providersByModel[target.model, default: []].append(target.provider)
            tasks[target.model, default: []].insert(descriptor.task)
        }
        known = names.sorted()
        tasksByModel = tasks.mapValues { present in InferenceTask.allCases.filter(present.contains) }
    }

    /// Resolves `text`: the whole text as a name or upstream id first (upstream ids may hold
    /// colons, `org/model:partner`), then `BASE:SUFFIX` split at the last colon, where the
    /// suffix is a strategy or a provider that serves the model. Nil when nothing matches.
    /// A router partner's own name is a provider suffix too, as on the router itself:
    /// `meta-llama/Llama-3.1-8B-Instruct:groq` is pinned to the discovered `groq` (or `hf.groq`,
    /// the name it takes when another provider is called `groq`).
    public func resolve(_ text: String) -> ModelSelection? {
        if names.contains(ModelName(text)) { return ModelSelection(model: ModelName(text)) }
        if let model = upstreams[text] { return ModelSelection(model: model, pinned: partnerUpstreams[text]) }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let suffix = String(text[text.index(after: colon)...])
        guard let model = base(text[..<colon]) else { return nil }
        if let strategy = RoutingStrategy(rawValue: suffix) { return ModelSelection(model: model, strategy: strategy) }
        guard let provider = provider(named: suffix, serving: model) else { return nil }
        return ModelSelection(model: model, pinned: provider)
    }

    /// The provider of `model` that `suffix` names: by its own name, or by its partner name when
    /// exactly one router partner of that name serves the model.
    private func provider(named suffix: String, serving model: ModelName) -> ProviderID? {
        guard let serving = providersByModel[model] else { return nil }
        if serving.contains(ProviderID(suffix)) { return ProviderID(suffix) }
        let partners = serving.filter { Self.partner(of: $0) == suffix }
        return partners.count == 1 ? partners[0] : nil
    }

    /// The partner a provider discovery made stands for: its name, or `PARTNER` of `NAME.PARTNER`
    /// (the name it takes when another provider has the partner's).
    private static func partner(of provider: ProviderID) -> String? {
        guard let dot = provider.rawValue.lastIndex(of: ".") else { return provider.rawValue }
        return String(provider.rawValue[provider.rawValue.index(after: dot)...])
    }

    private func base(_ text: Substring) -> ModelName? {
        let name = ModelName(String(text))
        if names.contains(name) { return name }
        return upstreams[String(text)]
    }
}
