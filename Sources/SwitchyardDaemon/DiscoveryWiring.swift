import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer
import SwitchyardStore

/// Discovery's part of start-up: the last good catalogs from SQLite, so a restart without
/// network routes the discovered targets it knew.
enum DiscoveryWiring {
    /// The stored catalogs of the providers that discover now, read where they point now (others'
    /// rows, and rows read at another base URL or kind, are ignored).
    static func lastGoodCatalogs(_ config: Configuration, store: SQLiteStore, logger: Logger) -> [ProviderID: DiscoveredCatalog] {
        let discovering = Set(config.discoveringProviders.map(\.name))
        guard !discovering.isEmpty else { return [:] }
        do {
            let (catalogs, unreadable) = try store.catalogs()
            for provider in unreadable where discovering.contains(provider) {
                logger.warning("the stored catalog cannot be read; discovery starts without it", metadata: ["provider": "\(provider)"])
            }
            let matching = config.matchingCatalogs(catalogs)
            for provider in discovering.sorted(by: { $0.rawValue < $1.rawValue }) where catalogs[provider] != nil && matching[provider] == nil {
                logger.notice("the stored catalog was read at another base_url or kind; discovery starts without it", metadata: ["provider": "\(provider)"])
            }
            return matching
        } catch {
            logger.warning("cannot read the stored catalogs; discovery starts without them", metadata: ["error": "\(error)"])
            return [:]
        }
    }

    /// The restored catalogs' target counts and ages, in the metrics.
    static func announceRestored(_ catalogs: [ProviderID: DiscoveredCatalog], config: Configuration, metrics: SwitchyardMetrics) {
        for (provider, catalog) in catalogs {
            metrics.recordDiscovery(provider, .restored(targets: config.discoveredModels(by: provider).count, fetchedAt: catalog.fetchedAt))
        }
    }
}
