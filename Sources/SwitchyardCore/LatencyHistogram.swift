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
/// inline and allocates nothing: 30 days of one target by minute are 43,200 minute buckets,
/// each with two histograms, and reading them allocates no histogram at all.
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

    /// Inline while the buckets fit there; a histogram spills only when they do not, so the
    /// same counts are always stored the same way.
    private enum Storage: Sendable {
        case inline(InlineBins)
        /// Ascending, non-empty buckets that do not fit inline.
        case spilled([Bin])
    }

    private var storage = Storage.inline(InlineBins())

    public init() {}

    /// A histogram from stored (index, count) pairs; out-of-range indexes and non-positive counts are ignored.
    public init(bins pairs: [Bin]) {
        for pair in pairs { add(bucket: pair.index, count: pair.count) }
    }

    /// A histogram read from storage: `count` buckets, produced one at a time by `next`, as
    /// written in ascending index order. Ascending buckets that fit are put inline directly;
    /// any others are added one by one (invalid ones ignored, as by `add`).
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
        switch storage {
        case .spilled(let bins):
            return bins
        case .inline(let inline):
            return (0..<inline.count).map { inline[$0] }
        }
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

    /// Adds `count` values to one bucket; an out-of-range index or a non-positive count is ignored.
    public mutating func add(bucket index: Int, count: Int) {
        guard count > 0, (0..<Self.bucketCount).contains(index) else { return }
        if case .inline(var inline) = storage, inline.add(index: index, count: count) {
            storage = .inline(inline)
            return
        }
        var bins = self.bins
        bins.reserveCapacity(bins.count + 1)  // one allocation when an inline histogram spills
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
        let mine = bins, theirs = other.bins
        var merged: [Bin] = []
        merged.reserveCapacity(mine.count + theirs.count)
        var i = 0, j = 0
        while i < mine.count || j < theirs.count {
            if j == theirs.count || (i < mine.count && mine[i].index < theirs[j].index) {
                merged.append(mine[i]); i += 1
            } else if i == mine.count || theirs[j].index < mine[i].index {
                merged.append(theirs[j]); j += 1
            } else {
                merged.append(Bin(index: mine[i].index, count: mine[i].count + theirs[j].count)); i += 1; j += 1
            }
        }
        storage = .spilled(merged)
    }

    /// The nearest-rank quantile (0 < q ≤ 1), reported as its bucket's geometric midpoint in ms.
    public func quantile(_ q: Double) -> Double? {
        let total = total
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        var answer: Int?
        var last = 0
        forEachBin { bin in
            seen += bin.count
            last = bin.index
            if answer == nil, seen >= rank { answer = bin.index }
        }
        return Self.representativeMilliseconds(ofBucket: answer ?? last)
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

    /// Equal when the same buckets hold the same counts, however they are stored (storage is
    /// canonical today, inline whenever the buckets fit, but equality does not rely on it).
    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        switch (a.storage, b.storage) {
        case (.inline(let x), .inline(let y)): x == y
        case (.spilled(let x), .spilled(let y)): x == y
        default: a.binCount == b.binCount && a.bins == b.bins
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(binCount)
        forEachBin { hasher.combine($0) }
    }
}

/// Up to eight buckets with counts under 256, one byte each in two words: the bucket
/// indexes, ascending, and their counts. Used slots come first; an unused slot's count is 0.
private struct InlineBins: Equatable, Sendable {
    static let capacity = 8
    private var indexes: UInt64 = 0
    private var counts: UInt64 = 0

    /// Used slots: the highest non-zero count byte is the last one used.
    var count: Int { (64 - counts.leadingZeroBitCount + 7) / 8 }

    subscript(slot: Int) -> LatencyHistogram.Bin {
        LatencyHistogram.Bin(index: Self.byte(indexes, slot), count: Self.byte(counts, slot))
    }

    /// Puts a bucket above every present one; false (and unchanged) when it is not above
    /// them, is invalid, or does not fit.
    mutating func append(_ bin: LatencyHistogram.Bin) -> Bool {
        let slot = count
        guard slot < Self.capacity, bin.index < LatencyHistogram.bucketCount, (1...Int(UInt8.max)).contains(bin.count),
              slot == 0 ? bin.index >= 0 : bin.index > Self.byte(indexes, slot - 1) else { return false }
        set(slot, index: bin.index, count: bin.count)
        return true
    }

    /// Adds to a bucket in place; false (and unchanged) when the result would not fit.
    mutating func add(index: Int, count added: Int) -> Bool {
        let filled = count
        var position = filled
        while position > 0, Self.byte(indexes, position - 1) > index { position -= 1 }
        if position > 0, Self.byte(indexes, position - 1) == index {
            let sum = Self.byte(counts, position - 1) + added
            guard sum <= Int(UInt8.max) else { return false }
            set(position - 1, index: index, count: sum)
            return true
        }
        guard filled < Self.capacity, added <= Int(UInt8.max) else { return false }
        for slot in stride(from: filled, to: position, by: -1) {
            set(slot, index: Self.byte(indexes, slot - 1), count: Self.byte(counts, slot - 1))
        }
        set(position, index: index, count: added)
        return true
    }

    /// Both histograms' buckets together, or nil when they do not fit inline.
    func merged(with other: InlineBins) -> InlineBins? {
        var merged = self
        for slot in 0..<other.count {
            let bin = other[slot]
            guard merged.add(index: bin.index, count: bin.count) else { return nil }
        }
        return merged
    }

    private mutating func set(_ slot: Int, index: Int, count: Int) {
        indexes = Self.setting(indexes, slot, to: index)
        counts = Self.setting(counts, slot, to: count)
    }

    private static func byte(_ word: UInt64, _ slot: Int) -> Int {
        Int(truncatingIfNeeded: (word >> UInt64(slot * 8)) & 0xFF)
    }

    private static func setting(_ word: UInt64, _ slot: Int, to value: Int) -> UInt64 {
        let shift = UInt64(slot * 8)
        return (word & ~(0xFF << shift)) | (UInt64(truncatingIfNeeded: value) & 0xFF) << shift
    }
}
