import SwitchyardCore

/// The store's decoders of block bytes, reached without a database: the fuzz harnesses
/// (`switchyard-fuzz`) drive them through here. Each decodes, encodes what it read and
/// decodes that again, so a caller can check that a stored block reads back the same.
package enum BlockDecoding {
    /// The observations of a raw block, and the same after one more encode and decode.
    package static func observationsTwice(_ bytes: [UInt8], blockStart: Int64, target: Target) throws
        -> (first: [Observation], second: [Observation]) {
        let first = try BlockCoding.decodeObservations(bytes, blockStart: blockStart, target: target)
        let second = try BlockCoding.decodeObservations(BlockCoding.encode(observations: first, blockStart: blockStart),
                                                        blockStart: blockStart, target: target)
        return (first, second)
    }

    /// The slots of a rollup block, and whether encoding and decoding them again gives the same rollups.
    package static func rollupsTwice(_ bytes: [UInt8]) throws -> (slots: [Int], sameAfterReencoding: Bool) {
        let first = try BlockCoding.decodeRollups(bytes)
        let reencoded = BlockCoding.encode(rollups: Dictionary(first.map { ($0.slot, $0.rollup) }, uniquingKeysWith: { $1 }))
        let second = try BlockCoding.decodeRollups(reencoded)
        let same = first.count == second.count && zip(first, second).allSatisfy { $0.slot == $1.slot && $0.rollup == $1.rollup }
        return (first.map(\.slot), same)
    }

    /// Inflates a stored block that claims to hold `size` bytes, as the block table reads it.
    package static func inflate(_ compressed: [UInt8], size: Int) throws -> [UInt8] {
        try compressed.withUnsafeBytes { try Deflate.decompress($0, size: size) }
    }
}
