import Foundation
import SwitchyardCore
@testable import SwitchyardStore
import Testing

/// Inputs the fuzz harnesses found (kept under fuzz/corpus/<harness>/regression-*), checked here
/// against the decoder itself.
@Suite struct FuzzRegressionTests {
    private static func fixture(_ harness: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: packageRoot() + "/fuzz/corpus/\(harness)/\(name)")))
    }

    /// A rollup block whose slots go back (5, then 0) read as two rollups, and re-encoding kept one:
    /// blocks are written with strictly ascending slots, so such a block is damaged and refused.
    @Test func aRollupBlockWhoseSlotsDoNotAscendIsMalformed() throws {
        let bytes = Array(try Self.fixture("block", "regression-rollup-slots-not-ascending").dropFirst())  // the harness's mode byte
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeRollups(bytes) }
        var repeated = BlockCoding.encode(rollups: [3: Rollup()])
        repeated += repeated.dropFirst()  // slot 3 twice
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeRollups(repeated) }
        let written = BlockCoding.encode(rollups: [3: Rollup(), 9: Rollup()])
        #expect(try BlockCoding.decodeRollups(written).map(\.slot) == [3, 9])
    }

    /// A raw block whose start-time deltas add up past the block's half hour (30,000 s here) read
    /// as observations outside the block, which encoding clamps back in: such a block is refused.
    @Test func aRawBlockReachingPastItsHalfHourIsMalformed() throws {
        let bytes = Array(try Self.fixture("block", "regression-raw-start-beyond-block").dropFirst())
        let target = Target(provider: ProviderID("p"), model: ModelName("m"))
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeObservations(bytes, blockStart: 1_795_999_800, target: target) }
        let last = Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 1_795_999_800 + 1799.999),
                               outcome: .ok, totalSeconds: 0.5)
        let written = BlockCoding.encode(observations: [last], blockStart: 1_795_999_800)
        #expect(try BlockCoding.decodeObservations(written, blockStart: 1_795_999_800, target: target) == [last])
    }

    /// A raw block whose retry-at offset is beyond what the encoder writes (it clamps to ±10^15 ms,
    /// so a provider's absurd Retry-After still stores) read back as a different time: refused.
    @Test func aRawBlockWithARetryOffsetBeyondTheEncodersRangeIsMalformed() throws {
        let bytes = Array(try Self.fixture("block", "regression-raw-retry-beyond-range").dropFirst())
        let target = Target(provider: ProviderID("p"), model: ModelName("m"))
        #expect(throws: ByteReader.Malformed.self) { try BlockCoding.decodeObservations(bytes, blockStart: 1_795_999_800, target: target) }
        var absurd = Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 1_795_999_900),
                                 outcome: .failure(.rateLimited), totalSeconds: 0.5)
        absurd.retryAt = absurd.startedAt + 1e30
        let written = BlockCoding.encode(observations: [absurd], blockStart: 1_795_999_800)
        let read = try BlockCoding.decodeObservations(written, blockStart: 1_795_999_800, target: target)
        #expect(read.first?.retryAt == absurd.startedAt + 1e12)  // clamped, and still readable
    }
}

/// Found reading the cost path while fixing the block decoder: a provider that reports an absurd
/// token count (completion_tokens near Int.max) made the probe's cost trillions of USD, and
/// converting that to whole nano-USD trapped (Int64 overflow), stopping the daemon.
@Suite struct CostOverflowTests {
    @Test func anAbsurdCostIsCappedInsteadOfTrapping() throws {
        let absurd = Price(inputPerMTok: 0.5, outputPerMTok: 0.6).cost(tokensIn: 10, tokensOut: Int.max, seconds: 1)
        #expect(absurd > 5e12)
        #expect(StoredCodes.nanoUSD(absurd) == 100_000_000_000_000)
        let target = Target(provider: ProviderID("p"), model: ModelName("m"))
        var observation = Observation(target: target, source: .probe, startedAt: Timestamp(secondsSinceEpoch: 1_795_999_900),
                                      outcome: .ok, totalSeconds: 1)
        observation.costUSD = absurd
        let read = try BlockCoding.decodeObservations(BlockCoding.encode(observations: [observation], blockStart: 1_795_999_800),
                                                      blockStart: 1_795_999_800, target: target)
        #expect(read.first?.costUSD == 100_000)
        // A stored cost above the cap (the block fuzzer's input: 1.7e14 nano-USD) reads capped, so it re-encodes the same.
        let stored = Array(try Data(contentsOf: URL(fileURLWithPath: packageRoot() + "/fuzz/corpus/block/regression-raw-cost-beyond-cap")).dropFirst())
        let once = try BlockCoding.decodeObservations(stored, blockStart: 1_795_999_800, target: target)
        #expect(once.first?.costUSD == 100_000)
        #expect(try BlockCoding.decodeObservations(BlockCoding.encode(observations: once, blockStart: 1_795_999_800),
                                                   blockStart: 1_795_999_800, target: target) == once)
        var rollup = Rollup()
        for _ in 0..<8640 { rollup.add(observation) }  // a day of 10 s probes, each capped: the sum still fits
        #expect(rollup.costNano == 864_000_000_000_000_000)
    }
}
