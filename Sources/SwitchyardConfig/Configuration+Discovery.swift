import SwitchyardCore

extension Configuration {
    /// The configured providers that say `discover:` (not the providers discovery made).
    public var discoveringProviders: [ProviderSettings] {
        providers.filter { $0.discover != nil && $0.discoveredBy == nil }
    }

    /// This configuration with the targets the catalogs add. A local server's models join its
    /// provider; a router catalog's (model, partner) pairs become providers named after the partner
    /// (`together`; `NAME.together` when another provider has that name) with `upstream: MODEL:PARTNER`. A model is routed under its catalog id, or under its alias.
    /// Explicitly configured targets always win: a discovered one with the same provider and name,
    /// or the same base URL and upstream id, or a partner provider whose name is configured, is left out.
    public func withDiscovered(_ catalogs: [ProviderID: DiscoveredCatalog]) -> Configuration {
        var configuredNames = Set(providers.map(\.name))
        var configuredUpstreams = Set<String>()
        for provider in providers {
            for model in provider.models { configuredUpstreams.insert(provider.baseURL + "\n" + model.upstream) }
        }
        var result = self
        var added: [ProviderSettings] = []
        var addedNames: [Set<ModelName>] = []  // the model names of each added provider, as `added` grows
        for (index, provider) in providers.enumerated() {
            guard let discover = provider.discover, let catalog = catalogs[provider.name] else { continue }
            let kept = discover.select(catalog.entries).kept.filter { !configuredUpstreams.contains(provider.baseURL + "\n" + $0.upstream) }
            if provider.kind != .hfRouter {
                var names = Set(provider.models.map(\.name))
                for entry in kept where entry.partner == nil {
                    let model = discoveredModel(entry, of: provider)
                    guard names.insert(model.name).inserted else { continue }
                    result.providers[index].models.append(model)
                }
                continue
            }
            var partners: [String: Int] = [:]
            for entry in kept {
                guard let partner = entry.partner else { continue }
                let slot: Int
                if let known = partners[partner] {
                    slot = known
                } else {
                    // The partner's own name (DESIGN.md), prefixed with the discovering provider's
                    // only when another provider already has it.
                    let plain = ProviderID(partner), prefixed = ProviderID("\(provider.name).\(partner)")
                    guard let name = [plain, prefixed].first(where: { !configuredNames.contains($0) }) else { continue }
                    configuredNames.insert(name)
                    var made = ProviderSettings(name: name, kind: .hfRouter, baseURL: provider.baseURL, apiKey: provider.apiKey,
                                                probe: provider.discoveredProbeSettings, models: [], capabilities: provider.capabilities)
                    made.discoveredBy = provider.name
                    added.append(made)
                    addedNames.append([])
                    slot = added.count - 1
                    partners[partner] = slot
                }
                let model = discoveredModel(entry, of: provider)
                guard addedNames[slot].insert(model.name).inserted else { continue }
                added[slot].models.append(model)
            }
        }
        result.providers += added
        return result
    }

    /// A catalog entry as a target of `provider`: the provider's `capabilities:` win over the catalog's.
    /// Its task is the catalog's (a Hub pipeline tag), else the provider's `task:`; the task's
    /// defaults fill the probe settings the provider does not write, in the discovered probe mode.
    private func discoveredModel(_ entry: CatalogEntry, of provider: ProviderSettings) -> ModelSettings {
        let task = entry.task(or: provider.task) ?? provider.task
        var model = ModelSettings(name: aliases[entry.model] ?? ModelName(entry.model), upstream: entry.upstream,
                                  probe: provider.discoveredProbeSettings.applyingDefaults(of: task, keepMode: true),
                                  capabilities: entry.capabilities.overridden(by: provider.capabilities), origin: .discovered,
                                  published: entry.published, task: task)
        model.price = entry.price
        return model
    }
}

extension ProviderSettings {
    /// The probe settings of the targets this provider discovers: its own, in `discoveredProbeMode`
    /// (liveness unless set explicitly), because a router catalog of 50 models at 6 partners would
    /// otherwise mean 300 paid completion probes per interval.
    /// A liveness probe of a router target reads the same catalog discovery reads, so it may read
    /// as much as `discover.max_bytes` (a catalog over the probes' 1 MiB would otherwise fail every
    /// probe as body_too_large and eject every target).
    public var discoveredProbeSettings: ProbeSettings {
        var settings = probe
        settings.mode = discoveredProbeMode
        if let discover { settings.maxBodyBytes = max(settings.maxBodyBytes, discover.maxBytes) }
        return settings
    }
}
