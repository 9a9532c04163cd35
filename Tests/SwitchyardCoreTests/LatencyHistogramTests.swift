import SwitchyardCore
import Testing

/// The plain model the histogram must agree with: one count per bucket.
private struct DenseHistogram {
    var counts = [Int](repeating: 0, count: LatencyHistogram.bucketCount)

    mutating func add(bucket: Int, count: Int) {
        guard count > 0, (0..<LatencyHistogram.bucketCount).contains(bucket) else { return }
        counts[bucket] += count
    }

    var bins: [LatencyHistogram.Bin] {
        counts.indices.filter { counts[$0] > 0 }.map { LatencyHistogram.Bin(index: $0, count: counts[$0]) }
    }

    func quantile(_ q: Double) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return LatencyHistogram.representativeMilliseconds(ofBucket: index) }
        }
        return nil
    }
}

@Suite struct LatencyHistogramTests {
    /// Random adds and merges, small and large (inline and spilled, counts past 255), against the model.
    @Test func agreesWithADenseCountPerBucket() {
        var random = SplitMix64(seed: 7)
        for round in 0..<2000 {
            var histogram = LatencyHistogram(), model = DenseHistogram()
            let spread = [3, 8, 30, 96][round % 4]
            let centre = Int.random(in: 0...(LatencyHistogram.bucketCount - spread), using: &random)
            for _ in 0..<Int.random(in: 0...20, using: &random) {
                let bucket = centre + Int.random(in: 0..<spread, using: &random)
                let count = round % 5 == 0 ? Int.random(in: 1...300, using: &random) : Int.random(in: 1...3, using: &random)
                if Bool.random(using: &random) {
                    histogram.add(bucket: bucket, count: count)
                    model.add(bucket: bucket, count: count)
                } else {
                    var other = LatencyHistogram()
                    other.add(bucket: bucket, count: count)
                    other.add(bucket: bucket + 1, count: 1)
                    histogram.merge(other)
                    model.add(bucket: bucket, count: count)
                    model.add(bucket: bucket + 1, count: 1)
                }
            }
            #expect(histogram.bins == model.bins, "round \(round)")
            #expect(histogram.binCount == model.bins.count)
            #expect(histogram.total == model.counts.reduce(0, +))
            #expect(histogram.isEmpty == (histogram.total == 0))
            for q in [0.01, 0.5, 0.9, 0.99, 1] { #expect(histogram.quantile(q) == model.quantile(q), "round \(round) q \(q)") }
            #expect(LatencyHistogram(bins: model.bins.shuffled(using: &random)) == histogram)
        }
    }

    /// The same counts compare and hash equal however they were put together: in order, in
    /// reverse, merged from single buckets, or read back as stored.
    @Test func equalityIgnoresHowTheCountsArrived() {
        let bins = [(2, 1), (9, 4), (10, 1), (40, 2), (41, 7), (60, 1), (95, 3), (3, 2)].map { LatencyHistogram.Bin(index: $0.0, count: $0.1) }
        for length in 1...bins.count {
            let chosen = Array(bins.prefix(length))
            var ascending = LatencyHistogram(), merged = LatencyHistogram()
            for bin in chosen.sorted(by: { $0.index < $1.index }) { ascending.add(bucket: bin.index, count: bin.count) }
            for bin in chosen.reversed() {
                var single = LatencyHistogram()
                single.add(bucket: bin.index, count: bin.count)
                merged.merge(single)
            }
            let sorted = chosen.sorted { $0.index < $1.index }
            var next = sorted.makeIterator()
            let read = LatencyHistogram(ascending: sorted.count) { next.next()! }
            #expect(ascending == merged)
            #expect(ascending == read)
            #expect(ascending.hashValue == merged.hashValue)
            #expect(ascending.hashValue == read.hashValue)
            #expect(read.bins == sorted)
        }
    }

    /// What a corrupt or old store could hand the reader: out of order, repeated, out of range,
    /// zero counts. They are treated as `add` treats them, never trusted as ascending.
    @Test func readingUnorderedOrInvalidBucketsFallsBackToAdding() {
        let stored = [(5, 2), (3, 1), (3, 4), (200, 1), (7, 0), (-1, 2), (8, 300), (9, 1)].map { LatencyHistogram.Bin(index: $0.0, count: $0.1) }
        var next = stored.makeIterator()
        let read = LatencyHistogram(ascending: stored.count) { next.next()! }
        #expect(read.bins.map { [$0.index, $0.count] } == [[3, 5], [5, 2], [8, 300], [9, 1]])
        #expect(read == LatencyHistogram(bins: stored))
    }

    /// An hour probed every second (3,600 values over dozens of buckets) spills out of the inline
    /// form; merged from its 60 minutes it is the same histogram, with the same p99, as the dense model.
    @Test func anHourMergedFromItsMinutesIsTheHourItself() {
        var hour = LatencyHistogram(), model = DenseHistogram()
        var minutes: [LatencyHistogram] = []
        for minute in 0..<60 {
            var histogram = LatencyHistogram()
            for second in 0..<60 {
                let milliseconds = 80 + Double((minute * 7 + second * 13) % 400)
                histogram.add(milliseconds: milliseconds)
                model.add(bucket: LatencyHistogram.bucket(forMilliseconds: milliseconds), count: 1)
            }
            minutes.append(histogram)
        }
        for minute in minutes { hour.merge(minute) }
        #expect(hour.total == 3600)
        #expect(hour.binCount > 8, "the hour spilled")
        #expect(hour.bins == model.bins)
        for q in [0.5, 0.9, 0.99] { #expect(hour.quantile(q) == model.quantile(q)) }
        var added = LatencyHistogram()
        for bin in model.bins { added.add(bucket: bin.index, count: bin.count) }
        #expect(hour == added)
        #expect(hour.hashValue == added.hashValue)
    }

    /// Minutes of six values stay inline; merged into their hour they spill part way, and the
    /// hour still equals the dense model and the same counts added directly.
    @Test func inlineMinutesMergeIntoASpilledHour() {
        var hour = LatencyHistogram(), model = DenseHistogram()
        for minute in 0..<60 {
            var histogram = LatencyHistogram()
            for second in stride(from: 0, to: 60, by: 10) {
                let milliseconds = 100 + Double(minute * 6 + second * 2)
                histogram.add(milliseconds: milliseconds)
                model.add(bucket: LatencyHistogram.bucket(forMilliseconds: milliseconds), count: 1)
            }
            #expect(histogram.binCount <= 6)
            hour.merge(histogram)
        }
        #expect(hour.binCount > 8)
        #expect(hour.bins == model.bins)
        #expect(hour == LatencyHistogram(bins: model.bins))
        #expect(hour.quantile(0.99) == model.quantile(0.99))
    }

    /// A count past 255 cannot stay inline: the histogram spills and still equals (and hashes
    /// like) the same counts built any other way.
    @Test func aBucketPast255Spills() {
        var grown = LatencyHistogram()
        grown.add(bucket: 30, count: 250)
        grown.add(bucket: 31, count: 1)
        grown.add(bucket: 30, count: 10)
        let built = LatencyHistogram(bins: [LatencyHistogram.Bin(index: 31, count: 1), LatencyHistogram.Bin(index: 30, count: 260)])
        var merged = LatencyHistogram()
        merged.add(bucket: 30, count: 200)
        var other = LatencyHistogram()
        other.add(bucket: 30, count: 60)
        other.add(bucket: 31, count: 1)
        merged.merge(other)
        for histogram in [built, merged] {
            #expect(histogram == grown)
            #expect(histogram.hashValue == grown.hashValue)
        }
        #expect(grown.bins.map(\.count) == [260, 1])
        #expect(grown.total == 261)
    }

    /// Inline storage keeps a histogram at three words (two for the buckets, one for the tag).
    @Test func aHistogramIsThreeWords() {
        #expect(MemoryLayout<LatencyHistogram>.stride == 24)
    }
}
