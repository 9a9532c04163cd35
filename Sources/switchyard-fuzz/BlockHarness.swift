import SwitchyardCore
import SwitchyardStore

/// Stored block bytes (the first byte picks raw observations, rollups, or a deflated raw
/// block): refused as malformed, or read back the same after encoding what was read.
enum BlockHarness {
    private static let target = Target(provider: ProviderID("p"), model: ModelName("m"))
    private static let blockStart: Int64 = 1_796_000_000 / 1800 * 1800

    static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        var bytes = Array(input.dropFirst())
        do {
            switch first % 3 {
            case 0:
                let (once, twice) = try BlockDecoding.observationsTwice(bytes, blockStart: blockStart, target: target)
                require(once == twice, "a raw block reads differently after re-encoding")
            case 1:
                let (_, same) = try BlockDecoding.rollupsTwice(bytes)
                require(same, "a rollup block reads differently after re-encoding")
            default:
                guard bytes.count >= 2 else { return }
                let size = Int(bytes[0]) << 8 | Int(bytes[1])
                bytes = try BlockDecoding.inflate(Array(bytes.dropFirst(2)), size: size)
                require(bytes.count == size, "inflated \(bytes.count) bytes, not \(size)")
                _ = try BlockDecoding.observationsTwice(bytes, blockStart: blockStart, target: target)
            }
        } catch {
            let kind = String(describing: type(of: error))
            require(kind == "Malformed" || kind == "Failure", "an unexpected error \(kind): \(error)")
        }
    }
}
