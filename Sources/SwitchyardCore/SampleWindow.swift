/// The most recent samples of one measurement, with quantiles recomputed on insert so
/// that reading them (on the route hot path) costs nothing.
///
/// The samples are kept twice: in arrival order (to know which one a new sample replaces)
/// and sorted, updated in place by binary search, so in the steady state (a window not
/// shared with a snapshot, which copy-on-write would copy) an insert neither allocates nor sorts.
/// Both arrays grow with their first samples: a window that never sees one (TTFT of a
/// liveness target) costs no storage.
public struct SampleWindow: Hashable, Sendable {
    public let capacity: Int
    private var samples: [Double] = []
    private var sorted: [Double] = []
    private var next = 0
    public private(set) var p50: Double?
    public private(set) var p90: Double?
    public private(set) var p99: Double?
    public private(set) var mean: Double?

    public init(capacity: Int = 128) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { samples.count }

    public mutating func add(_ value: Double) {
        guard value.isFinite, value >= 0 else { return }
        if samples.count < capacity {
            samples.append(value)
        } else {
            sorted.remove(at: Self.firstIndex(notBelow: samples[next], in: sorted))
            samples[next] = value
        }
        sorted.insert(value, at: Self.firstIndex(notBelow: value, in: sorted))
        next = (next + 1) % capacity
        p50 = Self.quantile(0.50, of: sorted)
        p90 = Self.quantile(0.90, of: sorted)
        p99 = Self.quantile(0.99, of: sorted)
        mean = sorted.reduce(0, +) / Double(sorted.count)
    }

    /// Nearest-rank quantile `q` (0...1) of the samples; nil when there are none.
    public func quantile(_ q: Double) -> Double? { Self.quantile(q, of: sorted) }

    /// Nearest-rank quantile of sorted values.
    static func quantile(_ q: Double, of sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Where `value` is, or would go, in `sorted`: the first index whose element is not below it.
    private static func firstIndex(notBelow value: Double, in sorted: [Double]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
