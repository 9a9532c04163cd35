#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts of durations in fixed log-spaced buckets (four per doubling, about ±9 % per
/// bucket). Because every histogram uses the same buckets, two of them merge by adding
/// counts: an hour's p99 is computed from its minutes exactly as from its raw samples,
/// up to the bucket width.
///
/// A histogram of a few values (a minute probed every 10 s holds six) keeps its buckets
/// inline and allocates nothing; a 30-day history answer holds 86,400 of them.
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

    private var storage = Storage.inline(InlineBins())

    public init() {}

    /// A histogram from stored (index, count) pairs; out-of-range indexes and non-positive counts are ignored.
    public init(bins pairs: [Bin]) {
        for pair in pairs { add(bucket: pair.index, count: pair.count) }
    }

    /// A histogram read from storage: `count` buckets, produced one at a time by `next`, as
    /// written in ascending index order. Ascending buckets that fit are stored inline without a
    /// detour through `add`; any others are added one by one (invalid ones ignored, as by `add`).
    public init(ascending count: Int, _ next: () throws -> Bin) rethrows {
        var inline = InlineBins()
        var read = 0
        while read < count {
            let bin = try next()
            read += 1
            guard inline.append(bin) else {
                storage = .inline(inline)
                add(bucket: bin.index, count: bin.count)
                while read < count {
                    let bin = try next()
                    read += 1
                    add(bucket: bin.index, count: bin.count)
                }
                return
            }
        }
        storage = .inline(inline)
    }

    /// The non-empty buckets in ascending index order.
    public var bins: [Bin] {
        var bins: [Bin] = []
        bins.reserveCapacity(binCount)
        forEachBin { bins.append($0) }
        return bins
    }

    /// The number of non-empty buckets.
    public var binCount: Int {
        switch storage {
        case .inline(let inline): inline.count
        case .spilled(let bins): bins.count
        }
    }

    /// Calls `body` with each non-empty bucket in ascending index order, without allocating.
    public func forEachBin(_ body: (Bin) throws -> Void) rethrows {
        switch storage {
        case .inline(let inline):
            for slot in 0..<inline.count { try body(inline[slot]) }
        case .spilled(let bins):
            for bin in bins { try body(bin) }
        }
    }

    /// The number of values recorded.
    public var total: Int {
        var total = 0
        forEachBin { total += $0.count }
        return total
    }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { binCount == 0 }

    /// Records one duration in milliseconds; negative and non-finite values are ignored.
    public mutating func add(milliseconds: Double, count: Int = 1) {
        guard milliseconds.isFinite, milliseconds >= 0 else { return }
        add(bucket: Self.bucket(forMilliseconds: milliseconds), count: count)
    }

    /// Adds `count` values to one bucket; an out-of-range index or a non-positive count is
    /// ignored. Adding buckets in ascending order (as a decoder does) costs O(1) each.
    public mutating func add(bucket index: Int, count: Int) {
        guard count > 0, (0..<Self.bucketCount).contains(index) else { return }
        if case .inline(var inline) = storage, inline.add(index: index, count: count) {
            storage = .inline(inline)
            return
        }
        var bins = spilledBins()
        storage = .spilled([])  // drops the stored reference, so `bins` changes in place
        var position = bins.count
        while position > 0, bins[position - 1].index > index { position -= 1 }
        if position > 0, bins[position - 1].index == index {
            bins[position - 1].count += count
        } else {
            bins.insert(Bin(index: index, count: count), at: position)
        }
        storage = .spilled(bins)
    }

    /// Adds every count of `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        guard !isEmpty else { self = other; return }
        if case .inline(let mine) = storage, case .inline(let theirs) = other.storage, let merged = mine.merged(with: theirs) {
            storage = .inline(merged)
            return
        }
        var merged: [Bin] = []
        merged.reserveCapacity(binCount + other.binCount)
        var mine = bins[...], theirs = other.bins[...]
        while let a = mine.first, let b = theirs.first {
            if a.index < b.index {
                merged.append(a); mine.removeFirst()
            } else if b.index < a.index {
                merged.append(b); theirs.removeFirst()
            } else {
                merged.append(Bin(index: a.index, count: a.count + b.count)); mine.removeFirst(); theirs.removeFirst()
            }
        }
        merged += mine
        merged += theirs
        storage = .spilled(merged)
    }

    /// The nearest-rank quantile (0 < q ≤ 1), reported as its bucket's geometric midpoint in ms.
    public func quantile(_ q: Double) -> Double? {
        let total = total
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        var answer = 0
        forEachBin { bin in
            if seen < rank { answer = bin.index }
            seen += bin.count
        }
        return Self.representativeMilliseconds(ofBucket: answer)
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

    /// Equal when the same buckets hold the same counts, however they are stored.
    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        guard a.binCount == b.binCount else { return false }
        if case .spilled(let x) = a.storage, case .spilled(let y) = b.storage { return x == y }
        return a.bins == b.bins
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(binCount)
        forEachBin { hasher.combine($0) }
    }

    /// The buckets as an array, for a change the inline form cannot hold.
    private func spilledBins() -> [Bin] {
        if case .spilled(let bins) = storage { return bins }
        var bins = self.bins
        bins.reserveCapacity(InlineBins.capacity + 1)
        return bins
    }

    private enum Storage: Sendable {
        case inline(InlineBins)
        /// Ascending, non-empty buckets that did not fit inline.
        case spilled([Bin])
    }
}

/// Up to seven buckets with counts under 256, in 15 bytes: with the enum's tag the storage
/// stays the 16 bytes of the array reference and total it replaced.
private struct InlineBins: Sendable {
    static let capacity = 7
    /// Ascending bucket indexes and their counts; the first `used` slots are in use.
    private var indexes = InlineArray<7, UInt8>(repeating: 0)
    private var counts = InlineArray<7, UInt8>(repeating: 0)
    private var used: UInt8 = 0

    /// Used slots.
    var count: Int { Int(used) }

    /// Puts a bucket above every present one; false (and unchanged) when it is not above
    /// them, is invalid, or does not fit.
    mutating func append(_ bin: LatencyHistogram.Bin) -> Bool {
        let slot = Int(used)
        guard slot < Self.capacity, bin.index < LatencyHistogram.bucketCount, (1...Int(UInt8.max)).contains(bin.count),
              slot == 0 ? bin.index >= 0 : bin.index > Int(indexes[slot - 1]) else { return false }
        indexes[slot] = UInt8(bin.index)
        counts[slot] = UInt8(bin.count)
        used += 1
        return true
    }

    subscript(slot: Int) -> LatencyHistogram.Bin {
        LatencyHistogram.Bin(index: Int(indexes[slot]), count: Int(counts[slot]))
    }

    /// Adds to a bucket in place; false (and unchanged) when the result would not fit.
    mutating func add(index: Int, count added: Int) -> Bool {
        let filled = count
        var position = filled
        while position > 0, Int(indexes[position - 1]) > index { position -= 1 }
        if position > 0, Int(indexes[position - 1]) == index {
            let sum = Int(counts[position - 1]) + added
            guard sum <= Int(UInt8.max) else { return false }
            counts[position - 1] = UInt8(sum)
            return true
        }
        guard filled < Self.capacity, added <= Int(UInt8.max) else { return false }
        var slot = filled
        while slot > position {
            indexes[slot] = indexes[slot - 1]
            counts[slot] = counts[slot - 1]
            slot -= 1
        }
        indexes[position] = UInt8(index)
        counts[position] = UInt8(added)
        used += 1
        return true
    }

    /// Both histograms' buckets together, or nil when they do not fit inline.
    func merged(with other: InlineBins) -> InlineBins? {
        var merged = self
        for slot in 0..<other.count {
            guard merged.add(index: Int(other.indexes[slot]), count: Int(other.counts[slot])) else { return nil }
        }
        return merged
    }
}
