import Foundation

/// The API's request and answer bodies, generated at build time from openapi/switchyard.json
/// (the contract) by switchyard-wiregen: the daemon encodes them, the Swift client and the CLI
/// decode them. Each type spells its JSON keys in a generated `CodingKeys`.
public enum Wire {
    /// The encoder the daemon answers with: keys sorted, slashes unescaped.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
