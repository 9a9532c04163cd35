import SwitchyardCore

extension ProviderSettings {
    /// Where this provider's catalog is read: its base URL and kind.
    public var catalogSource: CatalogSource { CatalogSource(baseURL: baseURL, kind: kind.rawValue) }
}

extension Configuration {
    /// The catalogs of providers that discover now and still point where their catalog was read
    /// (same base URL and kind); any other catalog is another endpoint's, or nobody's, and is left out.
    public func matchingCatalogs(_ catalogs: [ProviderID: DiscoveredCatalog]) -> [ProviderID: DiscoveredCatalog] {
        var sources: [ProviderID: CatalogSource] = [:]
        for provider in discoveringProviders { sources[provider.name] = provider.catalogSource }
        return catalogs.filter { provider, catalog in catalog.source != nil && catalog.source == sources[provider] }
    }
}
