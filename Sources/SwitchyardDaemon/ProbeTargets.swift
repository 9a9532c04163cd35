import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe

/// What the scheduler probes: every configured model of every provider, its API key resolved.
enum ProbeTargets {
    /// A provider's API key cannot be resolved (its variable or file is missing or unreadable).
    struct KeyUnavailable: Error, CustomStringConvertible {
        var provider: ProviderID
        var reason: String
        var description: String { "provider '\(provider)': \(reason)" }
    }

    /// The probe targets of `config`; throws naming the provider whose key cannot be resolved.
    static func resolve(_ config: Configuration, environment: [String: String]) throws -> [ProbeTarget] {
        let resolver = SecretResolver(environment: environment)
        return try config.providers.flatMap { provider -> [ProbeTarget] in
            let key: Secret?
            do {
                key = try provider.apiKey.map { try resolver.resolve($0) }
            } catch {
                throw KeyUnavailable(provider: provider.name, reason: "\(error)")
            }
            // A provider discovery made draws on its discovering provider's one budget (shared, not copied).
            let owner = provider.discoveredBy.flatMap { owner in config.providers.first { $0.name == owner } }
            return provider.models.map { model in
                ProbeTarget(
                    target: Target(provider: provider.name, model: model.name), kind: provider.kind, baseURL: provider.baseURL,
                    upstreamModel: model.upstream, apiKey: key, settings: model.probe, price: model.price ?? provider.price,
                    budgetUSDPerDay: (owner ?? provider).budget?.probeUSDPerDay, budgetOwner: owner?.name, task: model.task
                )
            }
        }
    }
}
