/// A provider's list price in USD. Any combination may be set; unset parts cost nothing.
public struct Price: Hashable, Sendable, Codable {
    public var inputPerMTok: Double?
    public var outputPerMTok: Double?
    public var perRequest: Double?
    public var perSecond: Double?

    public init(inputPerMTok: Double? = nil, outputPerMTok: Double? = nil, perRequest: Double? = nil, perSecond: Double? = nil) {
        self.inputPerMTok = inputPerMTok
        self.outputPerMTok = outputPerMTok
        self.perRequest = perRequest
        self.perSecond = perSecond
    }

    /// The cost of one request with the given usage and duration.
    public func cost(tokensIn: Int, tokensOut: Int, seconds: Double) -> Double {
        (inputPerMTok ?? 0) * Double(tokensIn) / 1_000_000
            + (outputPerMTok ?? 0) * Double(tokensOut) / 1_000_000
            + (perRequest ?? 0)
            + (perSecond ?? 0) * seconds
    }

    enum CodingKeys: String, CodingKey {
        case inputPerMTok = "input_per_mtok"
        case outputPerMTok = "output_per_mtok"
        case perRequest = "per_request"
        case perSecond = "per_second"
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

    public init(target: Target, upstreamModel: String, baseURL: String, price: Price?, preferenceOrder: Int) {
        self.target = target
        self.upstreamModel = upstreamModel
        self.baseURL = baseURL
        self.price = price
        self.preferenceOrder = preferenceOrder
    }
}
