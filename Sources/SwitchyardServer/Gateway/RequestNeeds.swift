import SwitchyardCore

/// What a gateway request needs of a target, read from its body without decoding it: one pass
/// over the members the scan already found, and one byte scan of the prompt.
///
/// - `tools` (a non-empty list), `functions`, or a `tool_choice` other than `"none"` → tools;
/// - `response_format` of type `json_schema` / `json_object` → structured output;
/// - an `"image_url"` token in `messages` (a content part) → vision;
/// - min context: the prompt's estimated tokens plus `max_tokens` / `max_completion_tokens`.
///
/// The token estimate is the prompt's JSON bytes (`messages`, `prompt` or `input`) divided by
/// four, rounded up, with `data:` URLs (inline images) left out: about four bytes a token for
/// English text under the BPE tokenizers in use, a little high for the JSON around the text.
/// A tokenizer per model would be exact but cost far more than the gateway's whole overhead.
enum RequestNeeds {
    /// Bytes per token of the estimate.
    static let bytesPerToken = 4

    static func of(_ body: JSONBody, endpoint: GatewayEndpoint) -> CapabilityNeeds {
        var needs = CapabilityNeeds()
        guard endpoint.generates else { return needs }
        if let tools = body.member("tools"), isNonEmptyList(body.raw(tools)) { needs.tools = true }
        if let functions = body.member("functions"), isNonEmptyList(body.raw(functions)) { needs.tools = true }
        if let choice = body.member("tool_choice") {
            let raw = body.raw(choice)
            if !isLiteral(raw, "\"none\""), !isLiteral(raw, "null") { needs.tools = true }
        }
        if let format = body.member("response_format"), let object = JSONBody(Array(body.raw(format))),
           let type = object.string("type"), type == "json_schema" || type == "json_object" {
            needs.structuredOutput = true
        }
        let prompt = body.member("messages") ?? body.member("prompt")
        var promptBytes = 0
        if let prompt {
            let scan = scanPrompt(body.raw(prompt))
            needs.vision = scan.hasImage
            promptBytes = scan.textBytes
        }
        // A caller's limit is taken up to a trillion tokens: `max_tokens: 9223372036854775807` is
        // "no limit", not an overflow (it stopped the daemon until 2026-12-06).
        let answer = min(max(body.integer("max_completion_tokens") ?? body.integer("max_tokens") ?? 0, 0), 1 << 40)
        let tokens = (promptBytes + bytesPerToken - 1) / bytesPerToken + answer
        if tokens > 0 { needs.minContext = tokens }
        return needs
    }

    /// The features of `needs` a 400 may say a target lacks.
    static func asked(_ needs: CapabilityNeeds) -> Set<UnsupportedFeature> {
        var asked: Set<UnsupportedFeature> = []
        if needs.tools { asked.insert(.tools) }
        if needs.structuredOutput { asked.insert(.structuredOutput) }
        return asked
    }

    /// `[` followed by something other than `]` (after spaces).
    private static func isNonEmptyList(_ raw: ArraySlice<UInt8>) -> Bool {
        guard raw.first == UInt8(ascii: "[") else { return false }
        return raw.dropFirst().contains { !isSpace($0) && $0 != UInt8(ascii: "]") }
    }

    private static func isLiteral(_ raw: ArraySlice<UInt8>, _ text: StaticString) -> Bool {
        raw.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// One pass over the prompt's JSON: whether an `"image_url"` token occurs (outside a string:
    /// inside one its quotes would be escaped), and the bytes that are not inside a `data:` URL.
    static func scanPrompt(_ raw: ArraySlice<UInt8>) -> (hasImage: Bool, textBytes: Int) {
        let imageToken = Array("\"image_url\"".utf8)
        let dataURL = Array("\"data:".utf8)
        var hasImage = false
        var skipped = 0
        var index = raw.startIndex
        let end = raw.endIndex
        while index < end {
            guard raw[index] == UInt8(ascii: "\"") else { index += 1; continue }
            if !hasImage, matches(raw, at: index, imageToken) {
                hasImage = true
                index += imageToken.count
                continue
            }
            if matches(raw, at: index, dataURL) {
                // Skip to the closing quote (one not escaped): an inline image's base64 is not prompt text.
                var close = index + dataURL.count
                while close < end, raw[close] != UInt8(ascii: "\"") { close += raw[close] == UInt8(ascii: "\\") ? 2 : 1 }
                skipped += min(close, end) - index
                index = close + 1
                continue
            }
            // Any other string: step over it whole, so tokens inside it are not mistaken for keys.
            var close = index + 1
            while close < end, raw[close] != UInt8(ascii: "\"") { close += raw[close] == UInt8(ascii: "\\") ? 2 : 1 }
            index = close + 1
        }
        return (hasImage, raw.count - skipped)
    }

    private static func matches(_ raw: ArraySlice<UInt8>, at index: Int, _ token: [UInt8]) -> Bool {
        guard raw.endIndex - index >= token.count else { return false }
        for offset in 0..<token.count where raw[index + offset] != token[offset] { return false }
        return true
    }
}
