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

    /// One non-empty bucket.
    public struct Bin: Hashable, Sendable {
        public var index: Int
        public var count: Int
        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }
    }

    /// The non-empty buckets in ascending index order (a sparse array: a minute holds a few).
    public private(set) var bins: [Bin] = []
    /// The number of values recorded.
    public private(set) var total = 0

    public init() {}

    /// A histogram from stored (index, count) pairs; out-of-range indexes and non-positive counts are ignored.
    public init(bins pairs: [Bin]) {
        var ascending = true
        var previous = -1
        for pair in pairs {
            guard (0..<Self.bucketCount).contains(pair.index), pair.count > 0 else { ascending = false; continue }
            if pair.index <= previous { ascending = false }
            previous = pair.index
        }
        if ascending {
            bins = pairs
            total = pairs.reduce(0) { $0 + $1.count }
        } else {
            for pair in pairs where (0..<Self.bucketCount).contains(pair.index) { add(bucket: pair.index, count: pair.count) }
        }
    }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { total == 0 }

    /// Records one duration in milliseconds; negative and non-finite values are ignored.
    public mutating func add(milliseconds: Double, count: Int = 1) {
        guard milliseconds.isFinite, milliseconds >= 0 else { return }
        add(bucket: Self.bucket(forMilliseconds: milliseconds), count: count)
    }

    private mutating func add(bucket index: Int, count: Int) {
        guard count > 0 else { return }
        total += count
        var position = bins.count
        while position > 0, bins[position - 1].index > index { position -= 1 }
        if position > 0, bins[position - 1].index == index {
            bins[position - 1].count += count
        } else {
            bins.insert(Bin(index: index, count: count), at: position)
        }
    }

    /// Adds every count of `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        guard !isEmpty else { self = other; return }
        var merged: [Bin] = []
        merged.reserveCapacity(bins.count + other.bins.count)
        var i = 0, j = 0
        while i < bins.count || j < other.bins.count {
            if j == other.bins.count || (i < bins.count && bins[i].index < other.bins[j].index) {
                merged.append(bins[i]); i += 1
            } else if i == bins.count || other.bins[j].index < bins[i].index {
                merged.append(other.bins[j]); j += 1
            } else {
                merged.append(Bin(index: bins[i].index, count: bins[i].count + other.bins[j].count)); i += 1; j += 1
            }
        }
        bins = merged
        total += other.total
    }

    /// The nearest-rank quantile (0 < q ≤ 1), reported as its bucket's geometric midpoint in ms.
    public func quantile(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for bin in bins {
            seen += bin.count
            if seen >= rank { return Self.representativeMilliseconds(ofBucket: bin.index) }
        }
        return Self.representativeMilliseconds(ofBucket: bins.last!.index)
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
