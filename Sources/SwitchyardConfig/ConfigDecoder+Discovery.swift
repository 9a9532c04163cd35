import SwitchyardCore

extension ConfigDecoder {
    /// Kinds whose targets can be discovered: the router from its catalog, the others from their model list.
    static let discoveringKinds: Set<ProviderKind> = [.hfRouter, .ollama, .vllm, .tgi, .openai]

    /// `discover: { models: [GLOB…], providers: [NAME…] | { allow: […], deny: […] }, include_status: [live],
    /// max_targets: N, refresh: 10m, max_bytes: N }`; `discover: {}` takes every default.
    func decodeDiscovery(_ value: YAMLCursor?, key: YAMLCursor, kind: ProviderKind) throws -> DiscoverySettings {
        guard Self.discoveringKinds.contains(kind) else {
            let kinds = Self.discoveringKinds.map(\.rawValue).sorted().joined(separator: ", ")
            throw key.error("discover: providers of kind \(kind.rawValue) cannot discover their models (kinds that can: \(kinds))")
        }
        var settings = DiscoverySettings()
        guard let cursor = value else { return settings }
        let map = try cursor.mapping(allowedKeys: ["models", "providers", "include_status", "max_targets", "refresh", "max_bytes", "probe_mode"])
        if let c = map.optional("models") { settings.models = try nonEmptyStrings(c) }
        if let c = map.optional("providers") {
            guard kind == .hfRouter else { throw c.error("\(c.path): only a provider of kind hf-router has partner providers to filter") }
            if case .sequence = c.node {
                settings.allowProviders = try nonEmptyStrings(c)
            } else {
                let lists = try c.mapping(allowedKeys: ["allow", "deny"])
                settings.allowProviders = try lists.optional("allow").map(nonEmptyStrings) ?? []
                settings.denyProviders = try lists.optional("deny").map(nonEmptyStrings) ?? []
            }
        }
        if let c = map.optional("include_status") {
            var statuses: Set<CatalogStatus> = []
            for item in try c.sequence() {
                let text = try item.string()
                guard let status = CatalogStatus(rawValue: text) else {
                    throw item.error("\(item.path): '\(text)' is not one of live, staging, error")
                }
                statuses.insert(status)
            }
            guard !statuses.isEmpty else { throw c.error("\(c.path) must list at least one status (live, staging, error)") }
            settings.includeStatus = statuses
        }
        if let c = map.optional("max_targets") { settings.maxTargets = try c.positiveInt() }
        if let c = map.optional("refresh") {
            settings.refreshSeconds = try c.duration()
            guard settings.refreshSeconds >= 10 else { throw c.error("\(c.path) must be at least 10s") }
        }
        if let c = map.optional("max_bytes") { settings.maxBytes = try c.positiveInt() }
        return settings
    }

    /// The probe mode a discovering provider sets explicitly for its discovered targets:
    /// `discover.probe_mode`, else `mode` in the provider's own `probe:` (the global `probe:` does not count).
    func discoveredProbeMode(_ provider: YAMLMapping) throws -> ProbeMode? {
        if let c = value(of: "probe_mode", in: provider.optional("discover")) { return try decodeEnum(c, ProbeMode.self) }
        if let c = value(of: "mode", in: provider.optional("probe")) { return try decodeEnum(c, ProbeMode.self) }
        return nil
    }

    /// The value at `key` of a mapping already decoded (its keys checked), or nil.
    private func value(of key: String, in cursor: YAMLCursor?) -> YAMLCursor? {
        guard let cursor, case .mapping(let mapping) = cursor.node else { return nil }
        for (name, value) in mapping {
            if case .scalar(let scalar) = name, scalar.string == key { return YAMLCursor(node: value, file: file, path: "\(cursor.path).\(key)") }
        }
        return nil
    }

    /// `aliases: { NAME: [ID, …] }` (or `NAME: ID`): discovered models listed by any of these ids
    /// are routed under NAME, so a local and a router target of the same Hub model meet.
    func decodeAliases(_ cursor: YAMLCursor) throws -> [String: ModelName] {
        guard case .mapping(let mapping) = cursor.node else { throw cursor.error("\(cursor.path) must be a mapping of a model name to the ids it stands for") }
        var aliases: [String: ModelName] = [:]
        for (key, value) in mapping {
            let keyCursor = YAMLCursor(node: key, file: file, path: cursor.path)
            let name = try keyCursor.nonEmptyString()
            let valueCursor = YAMLCursor(node: value, file: file, path: "\(cursor.path).\(name)")
            let ids: [String]
            if case .sequence = value {
                ids = try nonEmptyStrings(valueCursor)
            } else {
                ids = [try valueCursor.nonEmptyString()]
            }
            for id in ids {
                if let other = aliases[id], other.rawValue != name {
                    throw valueCursor.error("\(valueCursor.path): '\(id)' is already an alias of '\(other)'")
                }
                aliases[id] = ModelName(name)
            }
        }
        return aliases
    }

    private func nonEmptyStrings(_ cursor: YAMLCursor) throws -> [String] {
        try cursor.sequence().map { try $0.nonEmptyString() }
    }
}
