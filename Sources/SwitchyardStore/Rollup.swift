import SwitchyardCore

/// The summary of the observations of one target over one minute, hour or day: what
/// rollups keep. Histograms use the fixed buckets of `LatencyHistogram`, so rollups merge
/// exactly: an hour's p99 is computed from its minutes as from its raw observations.
struct Rollup: Hashable, Sendable {
    var count = 0
    var reports = 0
    var failures: [ErrorClass: Int] = [:]
    /// Total and time-to-first-token durations of successful observations.
    var latency = LatencyHistogram()
    var ttft = LatencyHistogram()
    var tokensIn = 0
    var tokensOut = 0
    /// Cost in whole nano-USD, so sums stay exact.
    var costNano: Int64 = 0

    mutating func add(_ o: Observation) {
        count += 1
        if o.source == .report { reports += 1 }
        switch o.outcome {
        case .ok:
            latency.add(milliseconds: o.totalSeconds * 1000)
            if let ttftSeconds = o.ttftSeconds { ttft.add(milliseconds: ttftSeconds * 1000) }
        case .failure(let errorClass):
            failures[errorClass, default: 0] += 1
        }
        // Bounded as `Observation.bounded` bounds them: rows stored before that could hold 10^18.
        tokensIn += min(max(0, o.tokensIn ?? 0), Observation.maxTokens)
        tokensOut += min(max(0, o.tokensOut ?? 0), Observation.maxTokens)
        costNano += StoredCodes.nanoUSD(o.costUSD ?? 0)
    }

    mutating func merge(_ other: Rollup) {
        count += other.count
        reports += other.reports
        failures.merge(other.failures, uniquingKeysWith: +)
        latency.merge(other.latency)
        ttft.merge(other.ttft)
        tokensIn += other.tokensIn
        tokensOut += other.tokensOut
        costNano += other.costNano
    }

    /// The API's form of this rollup.
    func bucket(target: Target, start: Timestamp) -> HistoryBucket {
        HistoryBucket(target: target, start: start, count: count, reports: reports, failures: failures, latency: latency,
                      ttft: ttft, tokensIn: tokensIn, tokensOut: tokensOut, costUSD: StoredCodes.usd(nano: costNano))
    }

    /// Adds this rollup's counts to a bucket of the API.
    func add(to bucket: inout HistoryBucket) {
        bucket.count += count
        bucket.reports += reports
        bucket.failures.merge(failures, uniquingKeysWith: +)
        bucket.latency.merge(latency)
        bucket.ttft.merge(ttft)
        bucket.tokensIn += tokensIn
        bucket.tokensOut += tokensOut
        bucket.costUSD += StoredCodes.usd(nano: costNano)
    }

    func encode(into writer: inout ByteWriter) {
        writer.varint(count)
        writer.varint(reports)
        writer.varint(failures.count)
        for (errorClass, failed) in failures.sorted(by: { StoredCodes.code(of: $0.key) < StoredCodes.code(of: $1.key) }) {
            writer.byte(StoredCodes.code(of: errorClass))
            writer.varint(failed)
        }
        Self.encode(latency, into: &writer)
        Self.encode(ttft, into: &writer)
        writer.varint(tokensIn)
        writer.varint(tokensOut)
        writer.varint(costNano)
    }

    init() {}

    init(from reader: inout ByteReader) throws {
        count = try reader.int()
        reports = try reader.int()
        for _ in 0..<(try reader.int(limit: 64)) {
            let errorClass = StoredCodes.errorClass(code: try reader.byte())
            failures[errorClass, default: 0] += try reader.int()
        }
        latency = try Self.decodeHistogram(from: &reader)
        ttft = try Self.decodeHistogram(from: &reader)
        tokensIn = try reader.int()
        tokensOut = try reader.int()
        costNano = Int64(try reader.int(limit: 1 << 60))
    }

    /// Non-empty buckets as (gap to the previous index, count) pairs.
    private static func encode(_ histogram: LatencyHistogram, into writer: inout ByteWriter) {
        writer.varint(histogram.binCount)
        var previous = -1
        histogram.forEachBin { bin in
            writer.varint(bin.index - previous - 1)
            writer.varint(bin.count)
            previous = bin.index
        }
    }

    private static func decodeHistogram(from reader: inout ByteReader) throws -> LatencyHistogram {
        let count = try reader.int()
        guard count <= LatencyHistogram.bucketCount else { throw ByteReader.Malformed() }
        var index = -1
        return try LatencyHistogram(ascending: count) {
            index += try reader.int(limit: LatencyHistogram.bucketCount) + 1
            guard index < LatencyHistogram.bucketCount else { throw ByteReader.Malformed() }
            return LatencyHistogram.Bin(index: index, count: try reader.int())
        }
    }
}
