import SwitchyardCore

/// The whole daemon configuration, after defaults and validation.
public struct Configuration: Hashable, Sendable {
    public var listen: ListenSettings
    /// Where the SQLite database lives; nil means the systemd/default location.
    public var stateDir: String?
    public var logLevel: LogLevel
    /// Probe defaults, already merged into every provider and model.
    public var probe: ProbeSettings
    public var providers: [ProviderSettings]
    /// How targets are judged and ranked.
    public var routing = RoutingSettings()
    /// Where this configuration came from (a path, or `<embedded default>`).
    public var source: String
    /// Retention and database settings.
    public var storage: StorageSettings
    /// Admin access over TCP.
    public var admin = AdminSettings()
    /// The OpenAI-compatible gateway (`gateway:`).
    public var gateway = GatewaySettings()
    /// Named callers (`clients:`), each with its own bearer token; empty means no TCP caller has a name.
    public var clients: [ClientSettings] = []
    /// Discovered model ids routed under another name (`aliases:`): id → name.
    public var aliases: [String: ModelName] = [:]
    /// Sharing evidence with other hosts through PostgreSQL (`fleet:`); nil keeps this host alone.
    public var fleet: FleetSettings?

    public init(listen: ListenSettings = ListenSettings(), stateDir: String? = nil, logLevel: LogLevel = .info,
                probe: ProbeSettings = ProbeSettings(), providers: [ProviderSettings], source: String,
                storage: StorageSettings = StorageSettings()) {
        self.storage = storage
        self.listen = listen
        self.stateDir = stateDir
        self.logLevel = logLevel
        self.probe = probe
        self.providers = providers
        self.source = source
    }

    /// Every (provider, model) target in configuration order, as the router sees it.
    public var targetDescriptors: [TargetDescriptor] {
        var order = 0
        return providers.flatMap { provider in
            provider.models.map { model in
                defer { order += 1 }
                return TargetDescriptor(
                    target: Target(provider: provider.name, model: model.name),
                    upstreamModel: model.upstream, baseURL: provider.baseURL,
                    price: model.price ?? provider.price, preferenceOrder: order, capabilities: model.capabilities,
                    origin: model.origin, published: model.published, task: model.task
                )
            }
        }
    }
}

/// The health state machine's and the ranker's settings (`routing:`).
public struct RoutingSettings: Hashable, Sendable {
    public var health = HealthPolicy()
    public var scoring = ScoringPolicy()

    public init() {}
}

/// Where the HTTP API listens. A nil TCP address is disabled.
public struct ListenSettings: Hashable, Sendable {
    public var tcp: HostPort?
    public var unix: UnixSocketSetting
    /// The group that owns the Unix socket file (mode 0660), so its members may use it; nil keeps the daemon's group.
    public var unixGroup: String?
    /// What one client may take of a listener.
    public var limits = ServerLimits()
    /// Whether TCP callers without a client token may send reports and use the gateway (`listen.tcp_without_token`).
    public var tcpWithoutToken = false

    public init(tcp: HostPort? = HostPort(host: "127.0.0.1", port: 7464), unix: UnixSocketSetting = .systemDefault) {
        self.tcp = tcp
        self.unix = unix
    }
}

/// Per-listener limits, so that no client (slow, idle or greedy) keeps the API from others.
public struct ServerLimits: Hashable, Sendable {
    /// The largest request body accepted; larger ones get 413 (`listen.max_body_bytes`).
    public var maxBodyBytes = 1 << 20
    /// A request's head must be complete within this of its first byte (of connecting, for the first request),
    /// and its body within this of its head, else the connection is closed (`listen.header_timeout`).
    public var headerTimeoutSeconds: Double = 10
    /// A keep-alive connection with no request in progress is closed after this (`listen.idle_timeout`).
    public var idleTimeoutSeconds: Double = 60
    /// Open connections per listener; further ones wait in the accept queue (`listen.max_connections`).
    public var maxConnections = 512
    /// Open TCP connections from one peer address; further ones are closed at once (`listen.max_connections_per_peer`).
    public var maxConnectionsPerPeer = 64

    public init() {}
}

/// Who may use the admin routes over TCP (`admin:`); the Unix socket is governed by its file mode.
public struct AdminSettings: Hashable, Sendable {
    /// Where the bearer token for admin routes over TCP comes from; nil refuses admin over TCP.
    public var token: SecretReference?

    public init(token: SecretReference? = nil) { self.token = token }
}

/// The Unix socket listener: the systemd/FHS default path, a given path, or none.
public enum UnixSocketSetting: Hashable, Sendable {
    /// `$RUNTIME_DIRECTORY/switchyard.sock`, else `/run/switchyard/switchyard.sock`.
    case systemDefault
    case path(String)
    case disabled

    /// The path to bind, given the process environment; nil when disabled.
    public func resolve(environment: [String: String]) -> String? {
        switch self {
        case .systemDefault:
            let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first.map(String.init)
            return (runtime.map { $0 + "/switchyard.sock" }) ?? "/run/switchyard/switchyard.sock"
        case .path(let path): return path
        case .disabled: return nil
        }
    }
}

/// A TCP host and port, written `127.0.0.1:7464` or `[::1]:7464`.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else { return nil }
        self.host = String(host)
        self.port = number
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Log verbosity, as in swift-log.
public enum LogLevel: String, CaseIterable, Hashable, Sendable {
    case trace, debug, info, notice, warning, error, critical
}

/// What a probe does: a paid completion, or a free liveness check.
public enum ProbeMode: String, CaseIterable, Hashable, Sendable {
    case completion
    case liveness
}

/// The provider dialects Switchyard knows how to probe.
public enum ProviderKind: String, CaseIterable, Hashable, Sendable {
    case openai
    case hfRouter = "hf-router"
    case ollama
    case tgi
    case vllm
    case http
}

/// Probe timing and size; defaults live here and nowhere else.
public struct ProbeSettings: Hashable, Sendable {
    public var intervalSeconds: Double = 15
    public var connectTimeoutSeconds: Double = 5
    public var timeoutSeconds: Double = 30
    public var mode: ProbeMode = .completion
    public var maxTokens: Int = 16
    /// A response that began and then sends nothing for this long is `stream_stalled`.
    public var streamIdleTimeoutSeconds: Double = 10
    /// A response body larger than this is `body_too_large`.
    public var maxBodyBytes: Int = 1 << 20
    /// Probes of one provider in flight at once, so one slow provider cannot take the global slots.
    public var maxConcurrentPerProvider: Int = 8
    /// Statuses the `http` kind accepts; empty means any 2xx.
    public var expectedStatus: [Int] = []
    /// The gateway's per-attempt timeout for this model (`attempt_timeout`); nil: the default by kind of request.
    public var attemptTimeoutSeconds: Double?
    /// The gateway's hedging for this model (`hedge: { after: p95, max_extra: 5% }`); nil: off.
    public var hedge: HedgeSettings?
    /// The size the text-to-image completion probe asks for (`image_size`, `WIDTHxHEIGHT`): the
    /// smallest common one by default; a model that refuses it takes its own smallest.
    public var imageSize = "256x256"
    /// Which task-dependent settings were written in the config and which came from the task's
    /// defaults (not part of equality).
    public var provenance = ProbeProvenance()

    public init() {}
}

/// One configured provider with its models; probe settings are the merged, effective ones.
public struct ProviderSettings: Hashable, Sendable {
    public var name: ProviderID
    public var kind: ProviderKind
    public var baseURL: String
    public var apiKey: SecretReference?
    public var price: Price?
    public var budget: Budget?
    public var probe: ProbeSettings
    public var models: [ModelSettings]
    /// `discover:`: models come from the provider's catalog or model list as well; nil: only `models:`.
    public var discover: DiscoverySettings?
    /// For a provider made by discovery (one per partner of a router catalog): the configured provider it came from.
    public var discoveredBy: ProviderID?
    /// The provider's `capabilities:`, already merged under each model's (kept for targets discovered later).
    public var capabilities: Capabilities
    /// The probe mode of the targets `discover:` makes: `discover.probe_mode`, else `mode` in the
    /// provider's own `probe:`, else liveness, so a catalog of hundreds of targets does not mean
    /// hundreds of paid completion probes per interval (see `discoveredProbeSettings`).
    public var discoveredProbeMode: ProbeMode = .liveness
    /// The provider's `task:`: its models' task unless a model sets its own, and the task of the
    /// models a local kind discovers (`chat` by default).
    public var task: InferenceTask = .chat

    public init(name: ProviderID, kind: ProviderKind, baseURL: String, apiKey: SecretReference? = nil, price: Price? = nil,
                budget: Budget? = nil, probe: ProbeSettings = ProbeSettings(), models: [ModelSettings], capabilities: Capabilities = .unknown) {
        self.capabilities = capabilities
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.price = price
        self.budget = budget
        self.probe = probe
        self.models = models
    }
}

/// A model as clients name it, and the id this provider knows it by.
public struct ModelSettings: Hashable, Sendable {
    public var name: ModelName
    public var upstream: String
    public var probe: ProbeSettings
    /// What this target can serve (the provider's `capabilities:` overridden by the model's).
    public var capabilities: Capabilities
    /// Configured, or discovered from a catalog.
    public var origin: TargetOrigin
    /// What the provider's catalog published for this target (discovered targets only).
    public var published: PublishedFigures?
    /// This target's own price (a catalog's, per partner and model); nil: the provider's.
    public var price: Price?
    /// What this target does (`task:` on the model, else the provider's; `chat` by default).
    public var task: InferenceTask

    public init(name: ModelName, upstream: String, probe: ProbeSettings = ProbeSettings(), capabilities: Capabilities = .unknown,
                origin: TargetOrigin = .configured, published: PublishedFigures? = nil, task: InferenceTask = .chat) {
        self.task = task
        self.capabilities = capabilities
        self.origin = origin
        self.published = published
        self.name = name
        self.upstream = upstream
        self.probe = probe
    }
}

/// Spending limits of a provider.
public struct Budget: Hashable, Sendable {
    /// USD that completion probes may spend per UTC day.
    public var probeUSDPerDay: Double?

    public init(probeUSDPerDay: Double? = nil) { self.probeUSDPerDay = probeUSDPerDay }
}

/// The `storage:` section: how long history is kept and how long to wait for a locked database.
public struct StorageSettings: Hashable, Sendable {
    /// Raw probe and report rows.
    public var rawRetentionSeconds: Double = 7 * 86_400
    /// Per-minute rollups.
    public var minuteRetentionSeconds: Double = 30 * 86_400
    /// Per-hour rollups, state transitions and probe spend.
    public var hourRetentionSeconds: Double = 400 * 86_400
    /// How long a write waits for another process holding the database lock.
    public var busyTimeoutSeconds: Double = 5

    public init() {}
}
