import Foundation
import SwitchyardCore
import Yams

/// Reads and validates the YAML configuration. Unknown keys are errors; every error
/// carries `file:line:column`.
public enum ConfigLoader {
    /// Loads the file at `path`.
    public static func load(path: String) throws -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: 1, column: 1, message: "cannot read the config file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: 1, column: 1, message: "the config file is not UTF-8 text")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses YAML text; `file` names it in errors.
    public static func parse(yaml: String, file: String) throws -> Configuration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: file, line: 1, column: 1, message: "the config is empty")
            }
            root = node
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
        return try ConfigDecoder(file: file).decode(YAMLCursor(node: root, file: file, path: ""))
    }

    private static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = context.map { "\($0.text) " } ?? ""
            return ConfigError(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(where_)\(problem)")
        default:
            return ConfigError(file: file, line: 1, column: 1, message: "invalid YAML: \(error)")
        }
    }
}

/// Walks the YAML tree into a `Configuration`.
struct ConfigDecoder {
    let file: String

    func decode(_ root: YAMLCursor) throws -> Configuration {
        let top = try root.mapping(allowedKeys: ["listen", "state_dir", "log_level", "probe", "routing", "storage", "providers", "admin", "gateway", "clients", "aliases", "fleet"])
        var listen = ListenSettings()
        if let cursor = top.optional("listen") { listen = try decodeListen(cursor) }
        let probeDefaults = try top.optional("probe").map { try decodeProbe($0, base: ProbeSettings()) } ?? ProbeSettings()
        let logLevel = try top.optional("log_level").map { try decodeEnum($0, LogLevel.self) } ?? .info
        let providersCursor = try top.required("providers")
        var providers: [ProviderSettings] = []
        var seen: Set<ProviderID> = []
        for item in try providersCursor.sequence() {
            let provider = try decodeProvider(item, probeDefaults: probeDefaults)
            guard seen.insert(provider.name).inserted else {
                throw item.error("provider name '\(provider.name)' is used twice; names must be unique")
            }
            providers.append(provider)
        }
        guard !providers.isEmpty else { throw providersCursor.error("providers must list at least one provider") }
        var config = Configuration(
            listen: listen, stateDir: try top.optional("state_dir")?.nonEmptyString(), logLevel: logLevel,
            probe: probeDefaults, providers: providers, source: file,
            storage: try top.optional("storage").map(decodeStorage) ?? StorageSettings()
        )
        if let cursor = top.optional("routing") { config.routing = try decodeRouting(cursor) }
        if let cursor = top.optional("admin") { config.admin = try decodeAdmin(cursor) }
        if let cursor = top.optional("gateway") { config.gateway = try decodeGateway(cursor) }
        if let cursor = top.optional("clients") { config.clients = try decodeClients(cursor) }
        if let cursor = top.optional("aliases") { config.aliases = try decodeAliases(cursor) }
        if let cursor = top.optional("fleet") { config.fleet = try decodeFleet(cursor) }
        return config
    }

    private func decodeGateway(_ cursor: YAMLCursor) throws -> GatewaySettings {
        let map = try cursor.mapping(allowedKeys: ["enabled", "max_attempts", "max_concurrent", "request_deadline", "max_upload_bytes", "max_answer_bytes", "upload_budget_bytes"])
        var gateway = GatewaySettings()
        if let c = map.optional("enabled") { gateway.enabled = try c.bool() }
        if let c = map.optional("max_attempts") { gateway.maxAttempts = try c.positiveInt() }
        if let c = map.optional("max_concurrent") { gateway.maxConcurrent = try c.positiveInt() }
        if let c = map.optional("request_deadline") { gateway.requestDeadlineSeconds = try c.duration() }
        if let c = map.optional("max_upload_bytes") { gateway.maxUploadBytes = try c.positiveInt() }
        if let c = map.optional("upload_budget_bytes") { gateway.uploadBudgetBytes = try c.positiveInt() }
        if let c = map.optional("max_answer_bytes") { gateway.maxAnswerBytes = try c.positiveInt() }
        return gateway
    }

    private func decodeStorage(_ cursor: YAMLCursor) throws -> StorageSettings {
        let map = try cursor.mapping(allowedKeys: ["retention", "busy_timeout"])
        var storage = StorageSettings()
        if let c = map.optional("busy_timeout") { storage.busyTimeoutSeconds = try c.duration() }
        guard let retention = map.optional("retention") else { return storage }
        let keys = try retention.mapping(allowedKeys: ["raw", "minute_rollups", "hour_rollups"])
        if let c = keys.optional("raw") { storage.rawRetentionSeconds = try c.duration() }
        if let c = keys.optional("minute_rollups") { storage.minuteRetentionSeconds = try c.duration() }
        if let c = keys.optional("hour_rollups") { storage.hourRetentionSeconds = try c.duration() }
        if storage.minuteRetentionSeconds > storage.hourRetentionSeconds, let c = keys.optional("minute_rollups") ?? keys.optional("hour_rollups") {
            throw c.error("storage.retention.minute_rollups (\(DurationText.format(storage.minuteRetentionSeconds))) is longer than hour_rollups (\(DurationText.format(storage.hourRetentionSeconds))); hours are what remains after minutes expire")
        }
        return storage
    }

    private func decodeListen(_ cursor: YAMLCursor) throws -> ListenSettings {
        let map = try cursor.mapping(allowedKeys: [
            "tcp", "unix", "unix_group", "max_body_bytes", "header_timeout", "idle_timeout", "max_connections",
            "max_connections_per_peer", "tcp_without_token",
        ])
        var listen = ListenSettings()
        if let c = map.optional("unix_group") { listen.unixGroup = try c.nonEmptyString() }
        if let c = map.optional("max_body_bytes") { listen.limits.maxBodyBytes = try c.positiveInt() }
        if let c = map.optional("header_timeout") { listen.limits.headerTimeoutSeconds = try c.duration() }
        if let c = map.optional("idle_timeout") { listen.limits.idleTimeoutSeconds = try c.duration() }
        if let c = map.optional("max_connections") { listen.limits.maxConnections = try c.positiveInt() }
        if let c = map.optional("tcp_without_token") { listen.tcpWithoutToken = try c.bool() }
        if let c = map.optional("max_connections_per_peer") { listen.limits.maxConnectionsPerPeer = try c.positiveInt() }
        if map.has("tcp") {
            let text = try map.optional("tcp")?.string() ?? ""
            if text.isEmpty {
                listen.tcp = nil
            } else {
                guard let address = HostPort(parsing: text) else {
                    throw map.optional("tcp")!.error("listen.tcp: '\(text)' is not host:port (e.g. 127.0.0.1:7464, [::1]:7464, or \"\" to disable)")
                }
                listen.tcp = address
            }
        }
        if map.has("unix") {
            let path = try map.optional("unix")?.string() ?? ""
            listen.unix = path.isEmpty ? .disabled : .path(path)
        }
        return listen
    }

    private func decodeProbe(_ cursor: YAMLCursor, base: ProbeSettings) throws -> ProbeSettings {
        let map = try cursor.mapping(allowedKeys: [
            "interval", "connect_timeout", "timeout", "mode", "max_tokens",
            "stream_idle_timeout", "max_body_bytes", "max_concurrent", "expected_status", "attempt_timeout", "hedge", "image_size",
        ])
        var probe = base
        if let c = map.optional("interval") { probe.intervalSeconds = try c.duration() }
        if let c = map.optional("connect_timeout") { probe.connectTimeoutSeconds = try c.duration() }
        if let c = map.optional("timeout") { probe.timeoutSeconds = try c.duration() }
        if let c = map.optional("mode") { probe.mode = try decodeEnum(c, ProbeMode.self) }
        if let c = map.optional("max_tokens") { probe.maxTokens = try c.positiveInt() }
        if let c = map.optional("stream_idle_timeout") { probe.streamIdleTimeoutSeconds = try c.duration() }
        if let c = map.optional("max_body_bytes") { probe.maxBodyBytes = try c.positiveInt() }
        if let c = map.optional("max_concurrent") { probe.maxConcurrentPerProvider = try c.positiveInt() }
        if let c = map.optional("expected_status") { probe.expectedStatus = try c.sequence().map { try $0.positiveInt() } }
        if let c = map.optional("attempt_timeout") { probe.attemptTimeoutSeconds = try c.duration() }
        if let c = map.optional("hedge") { probe.hedge = try decodeHedge(c) }
        if let c = map.optional("image_size") { probe.imageSize = try decodeImageSize(c) }
        for setting in TaskDefaultedSetting.allCases where map.has(setting.rawValue) { probe.provenance.explicit.insert(setting) }
        if probe.connectTimeoutSeconds > probe.timeoutSeconds {
            // An inherited connect timeout shrinks to fit a shorter timeout set here;
            // one written at this level is a contradiction.
            guard map.has("connect_timeout") else {
                probe.connectTimeoutSeconds = probe.timeoutSeconds
                return probe
            }
            throw (map.keyCursor("connect_timeout") ?? cursor).error(
                "\(cursor.path).connect_timeout (\(DurationText.format(probe.connectTimeoutSeconds))) is longer than timeout (\(DurationText.format(probe.timeoutSeconds)))"
            )
        }
        return probe
    }

    /// `image_size: 512x512`: width and height in pixels, each 1 to 8192.
    private func decodeImageSize(_ cursor: YAMLCursor) throws -> String {
        let text = try cursor.string()
        let sides = text.split(separator: "x", omittingEmptySubsequences: false)
        guard sides.count == 2, sides.allSatisfy({ side in side.allSatisfy(\.isASCII) && (Int(side).map { (1...8192).contains($0) } ?? false) && side.first != "+" }) else {
            throw cursor.error("\(cursor.path) must be WIDTHxHEIGHT in pixels (each 1 to 8192), e.g. 512x512; got '\(text)'")
        }
        return text
    }

    private func decodeProvider(_ cursor: YAMLCursor, probeDefaults: ProbeSettings) throws -> ProviderSettings {
        let map = try cursor.mapping(allowedKeys: [
            "name", "kind", "base_url", "api_key", "api_key_env", "api_key_file", "api_key_credential",
            "price", "budget", "probe", "models", "discover", "capabilities", "task",
        ])
        let nameCursor = try map.required("name")
        let name = try nameCursor.nonEmptyString()
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw nameCursor.error("\(cursor.path).name '\(name)' may only contain letters, digits, '-', '_' and '.'")
        }
        if let inline = map.keyCursor("api_key") {
            throw inline.error(
                "provider '\(name)': inline api_key is not allowed; put the key in an environment variable and set api_key_env: NAME, or use api_key_file: PATH or api_key_credential: NAME (systemd LoadCredential=)"
            )
        }
        let kind = try decodeEnum(try map.required("kind"), ProviderKind.self)
        let baseURLCursor = try map.required("base_url")
        let baseURL = try baseURLCursor.nonEmptyString()
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw baseURLCursor.error("\(baseURLCursor.path): '\(baseURL)' is not an http:// or https:// URL")
        }
        guard url.user == nil, url.password == nil, url.query == nil else {
            throw baseURLCursor.error("\(baseURLCursor.path) must not carry credentials or a query; use api_key_env / api_key_file / api_key_credential")
        }
        let apiKey = try decodeSecretReference(map, provider: name)
        let price = try map.optional("price").map(decodePrice)
        let budget = try map.optional("budget").map(decodeBudget)
        let probe = try map.optional("probe").map { try decodeProbe($0, base: probeDefaults) } ?? probeDefaults
        let capabilities = try map.optional("capabilities").map(decodeCapabilities) ?? .unknown
        let task = try map.optional("task").map { try decodeEnum($0, InferenceTask.self) } ?? .chat
        let discover = try map.keyCursor("discover").map { key in
            try decodeDiscovery(map.optional("discover"), key: key, kind: kind)
        }
        // A discovering provider may list no model: its catalog supplies them.
        let modelsCursor = try discover == nil ? map.required("models") : map.optional("models")
        var models: [ModelSettings] = []
        for item in try modelsCursor?.sequence() ?? [] {
            var model = try decodeModel(item, probeDefaults: probe, providerTask: task)
            model.capabilities = capabilities.overridden(by: model.capabilities)
            if let first = models.first(where: { $0.name == model.name }) {
                guard first.task == model.task else {
                    throw item.error(
                        "model '\(model.name)' is listed twice under provider '\(name)', as \(first.task.rawValue) and as \(model.task.rawValue); a provider's model is one target with one task: give one of them another name, or put it under a second provider"
                    )
                }
                throw item.error("model '\(model.name)' is listed twice under provider '\(name)'")
            }
            models.append(model)
        }
        if discover == nil, models.isEmpty, let modelsCursor { throw modelsCursor.error("provider '\(name)' must list at least one model") }
        let trimmedBase = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        var provider = ProviderSettings(
            name: ProviderID(name), kind: kind, baseURL: trimmedBase, apiKey: apiKey,
            price: price, budget: budget, probe: probe, models: models, capabilities: capabilities
        )
        provider.discover = discover
        provider.task = task
        if discover != nil { provider.discoveredProbeMode = try discoveredProbeMode(map) ?? .liveness }
        return provider
    }

    private func decodeSecretReference(_ map: YAMLMapping, provider: String) throws -> SecretReference? {
        try decodeSecretReference(map, prefix: "api_key", owner: "provider '\(provider)'")
    }

    /// `<prefix>_env`, `<prefix>_file` or `<prefix>_credential`: at most one of them.
    func decodeSecretReference(_ map: YAMLMapping, prefix: String, owner: String) throws -> SecretReference? {
        let names = ["\(prefix)_env", "\(prefix)_file", "\(prefix)_credential"]
        let given = names.filter { map.has($0) }
        guard given.count <= 1 else {
            throw map.keyCursor(given[1])!.error("\(owner): set only one of \(names.joined(separator: ", "))")
        }
        guard let key = given.first, let cursor = map.optional(key) else { return nil }
        let value = try cursor.nonEmptyString()
        if SecretShape.containsSecret(value) {
            let what = key == names[0] ? "the name of an environment variable" : key == names[1] ? "the path of a file" : "the name of a systemd credential"
            throw cursor.error(
                "\(cursor.path) holds what looks like a key or token itself, not \(what); put the key in an environment variable and write \(names[0]): NAME (or put it in a file for \(names[1]): PATH, or use \(names[2]): NAME with systemd LoadCredential=)"
            )
        }
        switch key {
        case names[0]:
            guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw cursor.error("\(cursor.path) must name an environment variable (letters, digits, '_'), not hold a key")
            }
            return .environment(value)
        case names[1]: return .file(value)
        default:
            guard !value.contains("/") else { throw cursor.error("\(cursor.path) is a credential name, not a path") }
            return .credential(value)
        }
    }

    private func decodePrice(_ cursor: YAMLCursor) throws -> Price {
        let map = try cursor.mapping(allowedKeys: ["input_per_mtok", "output_per_mtok", "per_request", "per_second", "per_image", "per_audio_second"])
        return Price(
            inputPerMTok: try map.optional("input_per_mtok")?.nonNegativeDouble(),
            outputPerMTok: try map.optional("output_per_mtok")?.nonNegativeDouble(),
            perRequest: try map.optional("per_request")?.nonNegativeDouble(),
            perSecond: try map.optional("per_second")?.nonNegativeDouble(),
            perImage: try map.optional("per_image")?.nonNegativeDouble(),
            perAudioSecond: try map.optional("per_audio_second")?.nonNegativeDouble()
        )
    }

    private func decodeBudget(_ cursor: YAMLCursor) throws -> Budget {
        let map = try cursor.mapping(allowedKeys: ["probe_usd_per_day"])
        return Budget(probeUSDPerDay: try map.optional("probe_usd_per_day")?.nonNegativeDouble())
    }

    /// A model under its provider: its `task:` overrides the provider's, and that task's defaults fill
    /// the probe settings the config does not write (`ProbeSettings.applyingDefaults(of:)`).
    private func decodeModel(_ cursor: YAMLCursor, probeDefaults: ProbeSettings, providerTask: InferenceTask) throws -> ModelSettings {
        let map = try cursor.mapping(allowedKeys: ["name", "upstream", "probe", "capabilities", "task"])
        let name = try map.required("name").nonEmptyString()
        let upstream = try map.optional("upstream")?.nonEmptyString() ?? name
        let task = try map.optional("task").map { try decodeEnum($0, InferenceTask.self) } ?? providerTask
        let probe = try map.optional("probe").map { try decodeProbe($0, base: probeDefaults) } ?? probeDefaults
        let capabilities = try map.optional("capabilities").map(decodeCapabilities) ?? .unknown
        return ModelSettings(name: ModelName(name), upstream: upstream, probe: probe.applyingDefaults(of: task), capabilities: capabilities,
                             task: task)
    }

    func decodeEnum<E: RawRepresentable & CaseIterable>(_ cursor: YAMLCursor, _ type: E.Type) throws -> E where E.RawValue == String {
        let text = try cursor.string()
        guard let value = E(rawValue: text) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw cursor.error("\(cursor.path): '\(text)' is not one of \(allowed)")
        }
        return value
    }
}
