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
    /// Whose budget this target's completion probes draw on, when not its own provider's: the
    /// discovering provider, whose one budget all its partner providers share.
    public var budgetOwner: ProviderID?
    /// What the target does: picks the completion probe (a chat stream, a vector, an image, …).
    public var task: InferenceTask

    /// The budget this target's completion probes draw on (its provider's, or `budgetOwner`).
    public var budgetProvider: ProviderID { budgetOwner ?? target.provider }

    public init(target: Target, kind: ProviderKind, baseURL: String, upstreamModel: String, apiKey: Secret?, settings: ProbeSettings, price: Price?,
                budgetUSDPerDay: Double? = nil, budgetOwner: ProviderID? = nil, task: InferenceTask = .chat) {
        self.task = task
        self.target = target
        self.kind = kind
        self.baseURL = baseURL
        self.upstreamModel = upstreamModel
        self.apiKey = apiKey
        self.settings = settings
        self.price = price
        self.budgetUSDPerDay = budgetUSDPerDay
        self.budgetOwner = budgetOwner
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

    /// Where the OpenAI-shaped task endpoints are (`…/v1`): Ollama serves them under `/v1` of its root.
    var taskBase: String { kind == .ollama ? serverRoot + "/v1" : openAIBase }

    /// The server root (without `/v1`), where TGI and vLLM serve `/health`.
    var serverRoot: String { baseURL.hasSuffix("/v1") ? String(baseURL.dropLast(3)) : baseURL }

    /// A GET with this target's credentials and timeouts.
    func get(_ url: String) -> HTTPRequest {
        var request = HTTPRequest(
            url: url, headers: authorizationHeaders, connectTimeoutSeconds: settings.connectTimeoutSeconds,
            timeoutSeconds: settings.timeoutSeconds, maxBodyBytes: settings.maxBodyBytes
        )
        request.responseHeaderNames = Self.headersProbesRead
        return request
    }

    /// The response headers any probe reads (`RetryAfter`, the served-by backend): only these
    /// are copied out of libcurl.
    static let headersProbesRead = ["retry-after", "x-inference-provider"]
}
