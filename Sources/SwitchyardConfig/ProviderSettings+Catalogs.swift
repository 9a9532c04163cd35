import SwitchyardCore

extension ProviderSettings {
    /// Where this provider's catalog is read: its base URL and kind.
    public var catalogSource: CatalogSource { CatalogSource(baseURL: baseURL, kind: kind.rawValue) }

    /// Where this provider's catalog or model list is read: the router's and OpenAI-style servers'
    /// `/v1/models`, Ollama's `/api/tags`.
    public var discoveryURL: String {
        switch kind {
        case .ollama: return baseURL + "/api/tags"
        case .tgi, .vllm: return (baseURL.hasSuffix("/v1") ? baseURL : baseURL + "/v1") + "/models"
        default: return baseURL + "/models"
        }
    }
}

extension Configuration {
    /// The catalogs of providers that discover now and still point where their catalog was read
    /// (same base URL and kind); any other catalog is another endpoint's, or nobody's, and is left out.
    public func matchingCatalogs(_ catalogs: [ProviderID: DiscoveredCatalog]) -> [ProviderID: DiscoveredCatalog] {
        var sources: [ProviderID: CatalogSource] = [:]
        for provider in discoveringProviders { sources[provider.name] = provider.catalogSource }
        return catalogs.filter { provider, catalog in catalog.source != nil && catalog.source == sources[provider] }
    }

    /// The discovered models of `provider`: its own, and its partner providers'.
    public func discoveredModels(by provider: ProviderID) -> [Target: ModelSettings] {
        var models: [Target: ModelSettings] = [:]
        for settings in providers where settings.name == provider || settings.discoveredBy == provider {
            for model in settings.models where model.origin == .discovered {
                models[Target(provider: settings.name, model: model.name)] = model
            }
        }
        return models
    }
}
