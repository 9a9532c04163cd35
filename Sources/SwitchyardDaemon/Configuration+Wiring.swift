import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer

/// Lists the daemon's parts take from the configuration besides the targets.
extension Configuration {
    /// Every target with the probe kind its metrics are labelled with.
    var metricsTargets: [MetricsTarget] {
        providers.flatMap { provider in
            provider.models.map { MetricsTarget(Target(provider: provider.name, model: $0.name), kind: provider.kind.rawValue, task: $0.task) }
        }
    }

    /// Providers with a daily probe budget.
    var budgetedProviders: [ProviderID] {
        providers.filter { $0.budget?.probeUSDPerDay != nil }.map(\.name)
    }

    /// The providers whose probes draw on `owner`'s budget: itself and the providers it discovered.
    func budgetMembers(of owner: ProviderID) -> [ProviderID] {
        providers.filter { $0.name == owner || $0.discoveredBy == owner }.map(\.name)
    }
}
