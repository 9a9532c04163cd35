import SwitchyardCore

/// One caller named under `clients:`: who may send reports (and use the gateway) over TCP,
/// identified by a bearer token that is never written inline.
public struct ClientSettings: Hashable, Sendable {
    /// The name events, metrics labels and history use for this caller (`batch-jobs`).
    public var name: String
    /// Where the client's bearer token comes from (`token_env` / `token_file` / `token_credential`).
    public var token: SecretReference
    /// The models this client may ask for; nil allows every model (`models:`).
    public var models: [ModelName]?
    /// What the client's gateway traffic may spend per UTC day, in USD (`budget: { usd_per_day }`); nil is unlimited.
    public var usdPerDay: Double?
    /// Gateway requests per minute this client may make (`rate: { requests_per_minute }`); nil is unlimited.
    public var requestsPerMinute: Int?

    public init(name: String, token: SecretReference, models: [ModelName]? = nil, usdPerDay: Double? = nil, requestsPerMinute: Int? = nil) {
        self.name = name
        self.token = token
        self.models = models
        self.usdPerDay = usdPerDay
        self.requestsPerMinute = requestsPerMinute
    }
}
