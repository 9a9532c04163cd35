/// The most recent samples of one measurement, with quantiles recomputed on insert so
/// that reading them (on the route hot path) costs nothing.
public struct SampleWindow: Hashable, Sendable {
    public let capacity: Int
    private var samples: [Double] = []
    private var next = 0
    public private(set) var p50: Double?
    public private(set) var p90: Double?
    public private(set) var p99: Double?
    public private(set) var mean: Double?

    public init(capacity: Int = 128) {
        precondition(capacity > 0)
        self.capacity = capacity
        samples.reserveCapacity(capacity)
    }

    public var count: Int { samples.count }

    public mutating func add(_ value: Double) {
        guard value.isFinite, value >= 0 else { return }
        if samples.count < capacity {
            samples.append(value)
        } else {
            samples[next] = value
        }
        next = (next + 1) % capacity
        let sorted = samples.sorted()
        p50 = Self.quantile(0.50, of: sorted)
        p90 = Self.quantile(0.90, of: sorted)
        p99 = Self.quantile(0.99, of: sorted)
        mean = sorted.reduce(0, +) / Double(sorted.count)
    }

    /// Nearest-rank quantile of sorted values.
    static func quantile(_ q: Double, of sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
