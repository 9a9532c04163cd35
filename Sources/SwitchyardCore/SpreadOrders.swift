/// The order `pick=spread` gave each client, kept for `spread_period` from the instant it was
/// drawn, so one client's order holds for the whole period whatever the clock's minute or the
/// live weights do. Bounded: beyond `capacity` clients, expired orders go first, then the oldest.
public struct SpreadOrders: Sendable {
    /// One client's question: the same client asking about another model or strategy gets its own order.
    public struct Key: Hashable, Sendable {
        public var client: String
        public var model: ModelName
        public var strategy: RoutingStrategy
        public var task: InferenceTask

        public init(client: String, model: ModelName, strategy: RoutingStrategy, task: InferenceTask = .chat) {
            self.task = task
            self.client = client
            self.model = model
            self.strategy = strategy
        }
    }

    /// The most clients remembered.
    public let capacity: Int
    private var orders: [Key: (providers: [ProviderID], chosenAt: Timestamp)] = [:]

    public init(capacity: Int = 4096) { self.capacity = capacity }

    /// How many orders are remembered.
    public var count: Int { orders.count }

    /// The order drawn for `key` if it was drawn less than `period` seconds before `now`.
    public func held(for key: Key, now: Timestamp, period: Double) -> [ProviderID]? {
        guard let entry = orders[key], now < entry.chosenAt + period, now >= entry.chosenAt else { return nil }
        return entry.providers
    }

    /// Remembers the order drawn for `key` at `now`.
    public mutating func remember(_ providers: [ProviderID], for key: Key, at now: Timestamp, period: Double) {
        orders[key] = (providers, now)
        guard orders.count > capacity else { return }
        orders = orders.filter { now < $0.value.chosenAt + period }
        while orders.count > capacity, let oldest = orders.min(by: { $0.value.chosenAt < $1.value.chosenAt })?.key {
            orders[oldest] = nil
        }
    }
}
