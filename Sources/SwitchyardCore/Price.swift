/// A provider's list price in USD. Any combination may be set; unset parts cost nothing.
public struct Price: Hashable, Sendable {
    public var inputPerMTok: Double?
    public var outputPerMTok: Double?
    public var perRequest: Double?
    /// Per second of compute (the request's duration).
    public var perSecond: Double?
    /// Per image generated.
    public var perImage: Double?
    /// Per second of audio transcribed or spoken.
    public var perAudioSecond: Double?

    public init(inputPerMTok: Double? = nil, outputPerMTok: Double? = nil, perRequest: Double? = nil, perSecond: Double? = nil,
                perImage: Double? = nil, perAudioSecond: Double? = nil) {
        self.inputPerMTok = inputPerMTok
        self.outputPerMTok = outputPerMTok
        self.perRequest = perRequest
        self.perSecond = perSecond
        self.perImage = perImage
        self.perAudioSecond = perAudioSecond
    }

    /// The cost of one request with the given usage and duration, and for non-text tasks the
    /// images made and the seconds of audio heard or spoken.
    public func cost(tokensIn: Int, tokensOut: Int, seconds: Double, images: Int = 0, audioSeconds: Double = 0) -> Double {
        (inputPerMTok ?? 0) * Double(tokensIn) / 1_000_000
            + (outputPerMTok ?? 0) * Double(tokensOut) / 1_000_000
            + (perRequest ?? 0)
            + (perSecond ?? 0) * seconds
            + (perImage ?? 0) * Double(images)
            + (perAudioSecond ?? 0) * audioSeconds
    }
}

/// What the router needs to know of a configured target besides its measurements.
public struct TargetDescriptor: Hashable, Sendable {
    public var target: Target
    /// The model id sent to the provider.
    public var upstreamModel: String
    public var baseURL: String
    public var price: Price?
    /// Position in the configuration, for the `preferred` strategy and stable ties.
    public var preferenceOrder: Int
    /// What the target can serve, as far as is known.
    public var capabilities: Capabilities
    /// Configured, or discovered from a catalog.
    public var origin: TargetOrigin
    /// What the provider's catalog published for this target (discovered targets only).
    public var published: PublishedFigures?
    /// What the target does; a model's route for one task ranks only that task's targets.
    public var task: InferenceTask

    public init(target: Target, upstreamModel: String, baseURL: String, price: Price?, preferenceOrder: Int,
                capabilities: Capabilities = .unknown, origin: TargetOrigin = .configured, published: PublishedFigures? = nil,
                task: InferenceTask = .chat) {
        self.task = task
        self.capabilities = capabilities
        self.origin = origin
        self.published = published
        self.target = target
        self.upstreamModel = upstreamModel
        self.baseURL = baseURL
        self.price = price
        self.preferenceOrder = preferenceOrder
    }

    /// This descriptor without the published figures, which move with every catalog refresh: a
    /// model whose targets differ only there has not changed for routing (it keeps its incumbent).
    public var routingIdentity: TargetDescriptor {
        var identity = self
        identity.published = nil
        return identity
    }
}
