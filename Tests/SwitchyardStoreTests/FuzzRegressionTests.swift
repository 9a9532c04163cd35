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
}
