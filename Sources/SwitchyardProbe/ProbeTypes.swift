import SwitchyardConfig
import SwitchyardCore

/// Everything needed to probe one target, resolved from the configuration.
public struct ProbeTarget: Hashable, Sendable {
    public var target: Target
    public var kind: ProviderKind
    public var baseURL: String
    public var upstreamModel: String
    public var apiKey: Secret?
    public var settings: ProbeSettings
    public var price: Price?
    /// The provider's `budget.probe_usd_per_day`, shared by all its targets.
    public var budgetUSDPerDay: Double?

    public init(target: Target, kind: ProviderKind, baseURL: String, upstreamModel: String, apiKey: Secret?, settings: ProbeSettings, price: Price?,
                budgetUSDPerDay: Double? = nil) {
        self.target = target
        self.kind = kind
        self.baseURL = baseURL
        self.upstreamModel = upstreamModel
        self.apiKey = apiKey
        self.settings = settings
        self.price = price
        self.budgetUSDPerDay = budgetUSDPerDay
    }

    /// `Authorization: Bearer …` when a key is configured. The only place a secret becomes text.
    var authorizationHeaders: [String] {
        apiKey.map { ["Authorization: Bearer \($0.exposedValue)"] } ?? []
    }

    /// The OpenAI-compatible base (`…/v1`): as configured for openai and hf-router; TGI and vLLM
    /// may be configured with or without the `/v1`.
    var openAIBase: String {
        switch kind {
        case .tgi, .vllm: baseURL.hasSuffix("/v1") ? baseURL : baseURL + "/v1"
        default: baseURL
        }
    }

    /// The server root (without `/v1`), where TGI and vLLM serve `/health`.
    var serverRoot: String { baseURL.hasSuffix("/v1") ? String(baseURL.dropLast(3)) : baseURL }

    /// A GET with this target's credentials and timeouts.
    func get(_ url: String) -> HTTPRequest {
        HTTPRequest(
            url: url, headers: authorizationHeaders, connectTimeoutSeconds: settings.connectTimeoutSeconds,
            timeoutSeconds: settings.timeoutSeconds, maxBodyBytes: settings.maxBodyBytes
        )
    }
}

/// What one probe measured. A probe returns this value and touches nothing else.
public struct ProbeResult: Hashable, Sendable {
    public var outcome: Outcome
    public var httpStatus: Int?
    public var timings: PhaseTimings
    public var ttftSeconds: Double?
    public var tokensIn: Int?
    public var tokensOut: Int?
    public var costUSD: Double?
    /// Output tokens per second while the answer streamed (after the first token).
    public var tokensPerSecond: Double?
    /// Seconds the provider asked us to wait (Retry-After), when it said.
    public var retryAfterSeconds: Double?
    /// The provider that really served the request (`x-inference-provider`), for routers.
    public var servedBy: String?
    /// Short and secret-free.
    public var message: String?

    public init(outcome: Outcome, httpStatus: Int? = nil, timings: PhaseTimings, ttftSeconds: Double? = nil,
                tokensIn: Int? = nil, tokensOut: Int? = nil, costUSD: Double? = nil, tokensPerSecond: Double? = nil,
                retryAfterSeconds: Double? = nil, servedBy: String? = nil, message: String? = nil) {
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.timings = timings
        self.ttftSeconds = ttftSeconds
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.costUSD = costUSD
        self.tokensPerSecond = tokensPerSecond
        self.retryAfterSeconds = retryAfterSeconds
        self.servedBy = servedBy
        self.message = message
    }

    /// The observation this probe contributes, stamped with its start time.
    public func observation(of target: Target, startedAt: Timestamp) -> Observation {
        Observation(
            target: target, source: .probe, startedAt: startedAt, outcome: outcome, httpStatus: httpStatus,
            totalSeconds: timings.total, ttftSeconds: ttftSeconds, tokensIn: tokensIn, tokensOut: tokensOut,
            costUSD: costUSD, retryAt: retryAfterSeconds.map { startedAt + timings.total + $0 }, message: message
        )
    }
}

/// One probe kind: takes a target, returns a result. Implementations live one per file.
public protocol Prober: Sendable {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult
}

/// The one table that maps a provider kind to its prober.
public enum ProberTable {
    public static func prober(for kind: ProviderKind) -> any Prober {
        switch kind {
        case .openai, .hfRouter: OpenAIProbe()
        case .vllm, .tgi: ServerHealthProbe()
        case .ollama: OllamaProbe()
        case .http: HTTPGetProbe()
        }
    }
}
