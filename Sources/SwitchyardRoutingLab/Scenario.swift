import SwitchyardCore

/// How a simulated provider really behaves at one moment: the ground truth the router
/// does not see and the oracle does.
public struct TrueBehavior: Hashable, Sendable {
    /// Mean seconds of a successful request.
    public var latency: Double
    /// Probability that a request fails.
    public var failureProbability: Double
    /// What a failure is, and how long it takes to find out.
    public var failureClass: ErrorClass
    public var failureLatency: Double
    /// For 429 storms: when the provider says to come back.
    public var retryAfterSeconds: Double?

    public init(latency: Double, failureProbability: Double = 0, failureClass: ErrorClass = .serverError,
                failureLatency: Double = 0.05, retryAfterSeconds: Double? = nil) {
        self.latency = latency
        self.failureProbability = failureProbability
        self.failureClass = failureClass
        self.failureLatency = failureLatency
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Expected time to a success when retrying this provider alone: L + F·(1−p)/p.
    public var expectedTimeToSuccess: Double {
        let p = 1 - failureProbability
        return p <= 0 ? .infinity : latency + failureLatency * (1 - p) / p
    }

    /// The same provider, down.
    public func down(_ errorClass: ErrorClass = .serverError, after seconds: Double = 0.05) -> TrueBehavior {
        TrueBehavior(latency: latency, failureProbability: 1, failureClass: errorClass, failureLatency: seconds)
    }
}

/// One simulated provider: its name, price and behaviour over simulated time (seconds from the start).
public struct ScriptedProvider: Sendable {
    public var name: String
    public var price: Price?
    public var priceChange: (at: Double, to: Price)?
    public var behavior: @Sendable (Double) -> TrueBehavior
    /// What a catalog publishes for the provider (right or wrong): the target is then discovered,
    /// and these figures are its prior.
    public var published: PublishedFigures?

    public init(name: String, price: Price? = nil, priceChange: (at: Double, to: Price)? = nil, published: PublishedFigures? = nil,
                behavior: @escaping @Sendable (Double) -> TrueBehavior) {
        self.name = name
        self.price = price
        self.priceChange = priceChange
        self.published = published
        self.behavior = behavior
    }

    /// The configured price at simulated time `t`.
    public func price(at t: Double) -> Price? {
        if let change = priceChange, t >= change.at { return change.to }
        return price
    }
}

/// A scripted situation the router must handle, with the moments that matter.
public struct Scenario: Sendable {
    public var name: String
    public var duration: Double
    public var providers: [ScriptedProvider]
    public var probeInterval: Double
    /// Client requests per second; each is routed, tried with failover, and reported back.
    public var requestsPerSecond: Double
    /// The provider whose trouble the scenario is about, and when the trouble starts and ends.
    public var troubled: String?
    public var troubleStart: Double?
    public var troubleEnd: Double?
    /// Whether clients send reports (the daemon then learns from real traffic as well as probes).
    public var reportsFlow: Bool
    /// The cost the oracle weighs besides latency (for the price-change scenario).
    public var strategy: RoutingStrategy
    /// Each request's time is the true latency times a factor drawn uniformly from this range.
    public var jitter: ClosedRange<Double> = 0.9...1.1
    /// What the providers' targets do: a non-text task's answers have no first token and no
    /// tokens, one image is one image, and routes are asked for this task.
    public var task: InferenceTask = .chat

    public init(name: String, duration: Double, providers: [ScriptedProvider], probeInterval: Double = 10, requestsPerSecond: Double = 10,
                troubled: String? = nil, troubleStart: Double? = nil, troubleEnd: Double? = nil, reportsFlow: Bool = true,
                strategy: RoutingStrategy = .balanced) {
        self.name = name
        self.duration = duration
        self.providers = providers
        self.probeInterval = probeInterval
        self.requestsPerSecond = requestsPerSecond
        self.troubled = troubled
        self.troubleStart = troubleStart
        self.troubleEnd = troubleEnd
        self.reportsFlow = reportsFlow
        self.strategy = strategy
    }
}
