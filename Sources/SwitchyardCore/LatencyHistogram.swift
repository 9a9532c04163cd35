#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts of durations in fixed log-spaced buckets (four per doubling, about ±9 % per
/// bucket). Because every histogram uses the same buckets, two of them merge by adding
/// counts: an hour's p99 is computed from its minutes exactly as from its raw samples,
/// up to the bucket width.
public struct LatencyHistogram: Hashable, Sendable {
    /// Bucket 0 holds values under 1 ms; bucket i ≥ 1 holds [2^((i-1)/4), 2^(i/4)) ms;
    /// the last bucket (about 3.8 hours and up) is open-ended.
    public static let bucketCount = 96

    /// Non-zero counts by bucket index.
    public private(set) var counts: [Int: Int] = [:]
    /// The number of values recorded.
    public private(set) var total = 0

    public init() {}

    /// A histogram from stored counts by bucket index; out-of-range indexes and non-positive counts are ignored.
    public init(counts: [Int: Int]) {
        for (index, count) in counts where (0..<Self.bucketCount).contains(index) && count > 0 {
            self.counts[index, default: 0] += count
            total += count
        }
    }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { total == 0 }

    /// Records one duration in milliseconds; negative and non-finite values are ignored.
    public mutating func add(milliseconds: Double, count: Int = 1) {
        guard milliseconds.isFinite, milliseconds >= 0, count > 0 else { return }
        counts[Self.bucket(forMilliseconds: milliseconds), default: 0] += count
        total += count
    }

    /// Adds every count of `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        for (index, count) in other.counts { counts[index, default: 0] += count }
        total += other.total
    }

    /// The nearest-rank quantile (0 < q ≤ 1), reported as its bucket's geometric midpoint in ms.
    public func quantile(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for index in counts.keys.sorted() {
            seen += counts[index]!
            if seen >= rank { return Self.representativeMilliseconds(ofBucket: index) }
        }
        return Self.representativeMilliseconds(ofBucket: counts.keys.max()!)
    }

    /// The bucket a duration falls in.
    public static func bucket(forMilliseconds milliseconds: Double) -> Int {
        guard milliseconds >= 1 else { return 0 }
        return min(Int((log2(milliseconds) * 4).rounded(.down)) + 1, bucketCount - 1)
    }

    /// The value a bucket stands for: its geometric midpoint (0.5 ms for bucket 0).
    public static func representativeMilliseconds(ofBucket index: Int) -> Double {
        index == 0 ? 0.5 : exp2((Double(index) - 0.5) / 4)
    }
}
