import Prometheus
import Synchronization
import SwitchyardConfig
import SwitchyardCore

/// How the gateway reaches one target: its OpenAI base, key and timeouts.
public struct GatewayUpstream: Sendable {
    /// The OpenAI-compatible base, `…/v1`.
    public var baseURL: String
    /// The provider's resolved key; sent upstream, never logged.
    public var apiKey: Secret?
    public var connectTimeoutSeconds: Double
    /// `attempt_timeout` of the model (or provider); nil takes the default by kind of request.
    public var attemptTimeoutSeconds: Double?
    public var price: Price?
    /// `hedge:` of the model (or provider); nil: no hedging.
    public var hedge: HedgeSettings?

    public init(baseURL: String, apiKey: Secret?, connectTimeoutSeconds: Double, attemptTimeoutSeconds: Double?, price: Price?,
                hedge: HedgeSettings? = nil) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.attemptTimeoutSeconds = attemptTimeoutSeconds
        self.price = price
        self.hedge = hedge
    }
}

/// What the gateway reads of the configuration, replaced whole on reload.
public struct GatewayConfiguration: Sendable {
    public var settings: GatewaySettings
    public var catalog: ModelCatalog
    public var upstreams: [Target: GatewayUpstream]
    /// Each client's allow list of models (`clients[].models`); a client not listed may use any.
    public var allowedModels: [String: Set<ModelName>]
    /// Each client's rate and budget (`clients[].rate`, `clients[].budget`); a client not listed has none.
    public var clientLimits: [String: ClientLimits]

    public init(settings: GatewaySettings, descriptors: [TargetDescriptor], upstreams: [Target: GatewayUpstream],
                allowedModels: [String: Set<ModelName>] = [:], clientLimits: [String: ClientLimits] = [:]) {
        self.settings = settings
        self.catalog = ModelCatalog(descriptors: descriptors)
        self.upstreams = upstreams
        self.allowedModels = allowedModels
        self.clientLimits = clientLimits
    }

    /// Whether `caller` may use `model`: anyone but a client whose allow list (`clients[].models`) lacks it.
    func allows(_ caller: Caller, _ model: ModelName) -> Bool {
        guard case .client(let name) = caller, let allowed = allowedModels[name] else { return true }
        return allowed.contains(model)
    }

    /// Refuses `model` to `caller` (403 `model_not_allowed`, naming what the client may use) unless `allows` says yes.
    func requireAllowed(_ model: ModelName, for caller: Caller) throws(OpenAIError) {
        guard !allows(caller, model), case .client(let name) = caller else { return }
        let allowed = (allowedModels[name] ?? []).map(\.rawValue).sorted().joined(separator: ", ")
        throw OpenAIError(status: .forbidden, type: "permission_error", code: "model_not_allowed",
                          message: "client '\(name)' may not use '\(model)'; allowed: \(allowed)")
    }
}

/// The gateway's current configuration; the wiring replaces it on reload.
public final class GatewayDirectory: Sendable {
    private let state: Mutex<GatewayConfiguration>

    public init(_ configuration: GatewayConfiguration) { state = Mutex(configuration) }

    public var current: GatewayConfiguration { state.withLock { $0 } }

    public func replace(_ configuration: GatewayConfiguration) { state.withLock { $0 = configuration } }
}

/// What the gateway routes need besides the API's dependencies.
public struct GatewayDependencies: Sendable {
    public var transport: any UpstreamTransport
    public var directory: GatewayDirectory
    let metrics: GatewayMetrics
    let inFlight: GatewaySlots
    /// Bytes of uploads held, for `gateway.upload_budget_bytes`.
    let uploads: UploadBudget
    /// Hedged targets' times to first byte and hedge budgets.
    let hedges = HedgeBook()
    /// Requests and failovers per model and provider, for the status page.
    public let traffic = GatewayTraffic()
    /// Each client's rate and today's spend against its budget.
    public let limiter: ClientLimiter

    public init(transport: any UpstreamTransport, directory: GatewayDirectory, metrics: SwitchyardMetrics) {
        self.transport = transport
        self.directory = directory
        self.metrics = GatewayMetrics(registry: metrics.registry)
        self.limiter = ClientLimiter(registry: metrics.registry)
        self.uploads = UploadBudget(gauge: metrics.registry.makeGauge(descriptor: MetricName.gatewayUploadHeld))
        self.inFlight = GatewaySlots(gauge: metrics.registry.makeGauge(descriptor: MetricName.gatewayInFlight))
    }
}

/// Counts gateway requests in flight, for `gateway.max_concurrent`, and shows the count as a gauge.
final class GatewaySlots: Sendable {
    private let count = Atomic<Int>(0)
    private let gauge: Gauge

    init(gauge: Gauge) { self.gauge = gauge }

    /// A slot, or nil when `limit` are taken. The slot is given back when it is released.
    func take(limit: Int) -> Slot? {
        guard count.add(1, ordering: .relaxed).newValue <= limit else {
            count.subtract(1, ordering: .relaxed)
            return nil
        }
        gauge.increment()
        return Slot(self)
    }

    fileprivate func give() {
        count.subtract(1, ordering: .relaxed)
        gauge.decrement()
    }

    /// One request's slot; released when the last reference (the response body) goes.
    final class Slot: Sendable {
        private let slots: GatewaySlots
        fileprivate init(_ slots: GatewaySlots) { self.slots = slots }
        deinit { slots.give() }
    }
}
