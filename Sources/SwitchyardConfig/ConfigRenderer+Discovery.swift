import SwitchyardCore

extension ConfigRenderer {
    /// The `discover:` block with its defaults, and a comment saying what discovery will do (nothing is fetched here).
    static func discoveryLines(_ discover: DiscoverySettings, provider: ProviderSettings) -> [String] {
        var parts: [String] = []
        if !discover.models.isEmpty { parts.append("models: " + list(discover.models)) }
        if !discover.allowProviders.isEmpty || !discover.denyProviders.isEmpty {
            parts.append("providers: { allow: \(list(discover.allowProviders)), deny: \(list(discover.denyProviders)) }")
        }
        let statuses = ["live", "staging", "error"].filter { discover.includeStatus.contains(CatalogStatus(rawValue: $0)!) }
        parts.append("include_status: [\(statuses.joined(separator: ", "))]")
        parts.append("max_targets: \(discover.maxTargets)")
        parts.append("refresh: \(DurationText.format(discover.refreshSeconds))")
        parts.append("max_bytes: \(discover.maxBytes)")
        let mode = provider.discoveredProbeSettings.mode.rawValue
        parts.append("probe_mode: \(mode)")
        let models = discover.models.isEmpty ? "every model" : "models matching \(list(discover.models))"
        let partners = discover.allowProviders.isEmpty ? "every partner" : "partners \(list(discover.allowProviders))"
        let scope = provider.kind == .hfRouter ? "\(models) at \(partners)\(discover.denyProviders.isEmpty ? "" : " but \(list(discover.denyProviders))")" : models
        let what = provider.kind == .hfRouter
            ? "one target per (model, partner provider) as a provider named after the partner (prefixed '\(provider.name).' if that name is taken), upstream MODEL:PARTNER, with the published price and capabilities"
            : "one target per listed model"
        return [
            "    discover: { \(parts.joined(separator: ", ")) }",
            "    # discovery: GET \(provider.discoveryURL)\(provider.apiKey == nil ? "" : " with this provider's key") at start and every \(DurationText.format(discover.refreshSeconds)); \(scope): \(what); at most \(discover.maxTargets) (a larger catalog is cut with a warning); discovered targets probe in \(mode) mode (liveness unless discover.probe_mode or the provider's own probe.mode says otherwise) and share this provider's one probe budget; configured models win; the last good catalog is kept in the state database",
        ]
    }

    static func aliasLines(_ aliases: [String: ModelName]) -> [String] {
        guard !aliases.isEmpty else { return [] }
        let byName = Dictionary(grouping: aliases.keys, by: { aliases[$0]! })
        return ["aliases:"] + byName.keys.sorted().map { name in "  \(quoted(name.rawValue)): \(list(byName[name]!.sorted()))" }
    }

    private static func list(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ", ") + "]" }
}
