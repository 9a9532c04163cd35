import SwitchyardCore

/// What a stored block holds. Each target has at most one block of a kind per period.
enum BlockKind: Int, CaseIterable, Sendable {
    /// Half an hour of raw observations (probes and reports): at a 10 s interval about 1.3 KB
    /// deflated, so three share a 4 KiB page (an hour's block, 2.6 KB, took a page of its own).
    case raw = 0
    /// An hour of minute rollups.
    case minutes = 1
    /// A UTC day of hour rollups.
    case hours = 2

    /// zlib's level for this kind. Raw blocks are most of what is compressed and their latencies
    /// are near-random digits: level 1 stores them 1.4 % larger than level 6 at 3/4 of the CPU.
    /// Rollup blocks are small and gain 13 % from level 6.
    var compressionLevel: Int32 { self == .raw ? 1 : 6 }

    /// The period one block covers.
    var periodSeconds: Int64 {
        switch self {
        case .raw: 1800
        case .minutes: 3600
        case .hours: 86_400
        }
    }

    /// The start of the block of this kind that holds `seconds`.
    func blockStart(of seconds: Double) -> Int64 { floorTo(wholeSeconds(seconds), periodSeconds) }
    /// The period of one rollup inside a block (raw blocks hold observations instead).
    var slotSeconds: Int64 { self == .hours ? 3600 : 60 }
}

/// The encodings of block contents, before deflate. Every block starts with a format byte.
/// Times are relative to the block's start; durations are whole microseconds, start times
/// whole milliseconds, money whole nano-USD.
enum BlockCoding {
    static let format: UInt8 = 1
    /// Raw blocks since v8: a second field byte (`Extra`) follows the first. Format 1 raw blocks
    /// (without it) are still read.
    static let observationsFormat: UInt8 = 2

    private struct Field {
        static let report: UInt8 = 1 << 0
        static let status: UInt8 = 1 << 1
        static let ttft: UInt8 = 1 << 2
        static let tokensIn: UInt8 = 1 << 3
        static let tokensOut: UInt8 = 1 << 4
        static let cost: UInt8 = 1 << 5
        static let retryAt: UInt8 = 1 << 6
        static let message: UInt8 = 1 << 7
    }

    /// The second field byte of a format-2 observation.
    private struct Extra {
        static let audioSeconds: UInt8 = 1 << 0
        static let images: UInt8 = 1 << 1
    }

    /// Observations of one target in one raw block, ordered by start time. Each is a start-time
    /// delta, an outcome code, a byte saying which optional fields follow, the total, then those fields.
    static func encode(observations: [Observation], blockStart: Int64) -> [UInt8] {
        var writer = ByteWriter(capacity: observations.count * 13 + 1)
        writer.byte(observationsFormat)
        let origin = Double(blockStart)
        // Clamped into the block: rounding 1799.9996 s up must not move it into the next block.
        let last = BlockKind.raw.periodSeconds * 1000 - 1
        let offsets = observations.map { min(max(milliseconds($0.startedAt.secondsSinceEpoch - origin), 0), last) }
        var order = Array(offsets.indices)
        if zip(offsets, offsets.dropFirst()).contains(where: { $0 > $1 }) { order.sort { offsets[$0] < offsets[$1] } }
        var previous: Int64 = 0
        for index in order {
            let ms = offsets[index], o = observations[index]
            writer.varint(ms - previous)
            previous = ms
            writer.byte(StoredCodes.code(of: o.outcome))
            var fields: UInt8 = o.source == .report ? Field.report : 0
            if o.httpStatus != nil { fields |= Field.status }
            if o.ttftSeconds != nil { fields |= Field.ttft }
            if o.tokensIn != nil { fields |= Field.tokensIn }
            if o.tokensOut != nil { fields |= Field.tokensOut }
            if o.costUSD != nil { fields |= Field.cost }
            if o.retryAt != nil { fields |= Field.retryAt }
            if o.message != nil { fields |= Field.message }
            writer.byte(fields)
            var extra: UInt8 = 0
            if o.audioSeconds != nil { extra |= Extra.audioSeconds }
            if o.images != nil { extra |= Extra.images }
            writer.byte(extra)
            writer.varint(microseconds(o.totalSeconds))
            if let status = o.httpStatus { writer.varint(status) }
            if let ttft = o.ttftSeconds { writer.varint(microseconds(ttft)) }
            if let tokens = o.tokensIn { writer.varint(tokens) }
            if let tokens = o.tokensOut { writer.varint(tokens) }
            if let cost = o.costUSD { writer.varint(StoredCodes.nanoUSD(cost)) }
            if let retryAt = o.retryAt { writer.signed(milliseconds(retryAt.secondsSinceEpoch - o.startedAt.secondsSinceEpoch)) }
            if let message = o.message { writer.text(message) }
            if let audio = o.audioSeconds { writer.varint(microseconds(audio)) }
            if let images = o.images { writer.varint(max(images, 0)) }
        }
        return writer.bytes
    }

    /// The observations of a raw block, in start-time order.
    static func decodeObservations(_ bytes: [UInt8], blockStart: Int64, target: Target) throws -> [Observation] {
        try ByteReader.reading(bytes) { reader in try decodeObservations(&reader, blockStart: blockStart, target: target) }
    }

    private static func decodeObservations(_ reader: inout ByteReader, blockStart: Int64, target: Target) throws -> [Observation] {
        let blockFormat = try reader.byte()
        guard blockFormat == format || blockFormat == observationsFormat else { throw ByteReader.Malformed() }
        var observations: [Observation] = []
        var ms: Int64 = 0
        while !reader.isAtEnd {
            ms += Int64(try reader.int())
            // The encoder clamps every start into the block's half hour; a block reaching past it is damaged.
            guard ms < BlockKind.raw.periodSeconds * 1000 else { throw ByteReader.Malformed() }
            let outcome = StoredCodes.outcome(code: try reader.byte())
            let fields = try reader.byte()
            let extra = blockFormat == observationsFormat ? try reader.byte() : 0
            let started = Timestamp(secondsSinceEpoch: Double(blockStart) + Double(ms) / 1000)
            var o = Observation(target: target, source: fields & Field.report != 0 ? .report : .probe, startedAt: started,
                                outcome: outcome, totalSeconds: Double(try reader.int()) / 1e6)
            if fields & Field.status != 0 { o.httpStatus = try reader.int() }
            if fields & Field.ttft != 0 { o.ttftSeconds = Double(try reader.int()) / 1e6 }
            if fields & Field.tokensIn != 0 { o.tokensIn = try reader.int() }
            if fields & Field.tokensOut != 0 { o.tokensOut = try reader.int() }
            // Clamped like `nanoUSD` writes it (a block written before that cap may hold more).
            if fields & Field.cost != 0 { o.costUSD = StoredCodes.usd(nano: min(Int64(try reader.int(limit: 1 << 60)), StoredCodes.maxNanoUSD)) }
            if fields & Field.retryAt != 0 {
                let offset = try reader.signed()
                guard offset.magnitude <= maxMilliseconds else { throw ByteReader.Malformed() }  // beyond what encode writes
                o.retryAt = started + Double(offset) / 1000
            }
            if fields & Field.message != 0 { o.message = try reader.text() }
            if extra & Extra.audioSeconds != 0 { o.audioSeconds = Double(try reader.int()) / 1e6 }
            if extra & Extra.images != 0 { o.images = try reader.int() }
            observations.append(o)
        }
        return observations
    }

    /// Rollups of one block by slot (minute of the hour, or hour of the day), slot ascending.
    static func encode(rollups: [Int: Rollup]) -> [UInt8] {
        var writer = ByteWriter(capacity: rollups.count * 24 + 1)
        writer.byte(format)
        for slot in rollups.keys.sorted() {
            writer.varint(slot)
            rollups[slot]!.encode(into: &writer)
        }
        return writer.bytes
    }

    static func decodeRollups(_ bytes: [UInt8]) throws -> [(slot: Int, rollup: Rollup)] {
        var rollups: [(slot: Int, rollup: Rollup)] = []
        try forEachRollup(in: bytes) { rollups.append(($0, $1)) }
        return rollups
    }

    /// Calls `body` with each rollup of a block in slot order, without collecting them first.
    /// Slots are written strictly ascending; a block whose slots repeat or go back is damaged.
    static func forEachRollup(in bytes: [UInt8], _ body: (Int, Rollup) throws -> Void) throws {
        try ByteReader.reading(bytes) { reader in
            guard try reader.byte() == format else { throw ByteReader.Malformed() }
            var previous = -1
            while !reader.isAtEnd {
                let slot = try reader.int(limit: 1440)
                guard slot > previous else { throw ByteReader.Malformed() }
                previous = slot
                try body(slot, try Rollup(from: &reader))
            }
        }
    }

    /// The largest magnitude `milliseconds` writes.
    private static let maxMilliseconds: UInt64 = 1_000_000_000_000_000

    /// Rounded, not truncated, so that decoding and encoding again gives the same number.
    private static func milliseconds(_ seconds: Double) -> Int64 {
        seconds.isFinite ? Int64(min(max(seconds * 1000, -1e15), 1e15).rounded()) : 0
    }

    private static func microseconds(_ seconds: Double) -> Int64 {
        seconds.isFinite && seconds > 0 ? Int64(min(seconds * 1e6, 1e15).rounded()) : 0
    }
}
