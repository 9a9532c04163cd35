/// A request body as bytes with the spans of its top-level members, found by one scan that
/// also checks the JSON syntax. The gateway edits `model`, removes `provider` and may add
/// `stream_options`, copying every other byte as it came: no decoding and re-encoding.
struct JSONBody: Sendable {
    /// One top-level member: where its key starts, its value's span, and the key's text.
    struct Member: Sendable {
        var key: String
        /// From the key's opening quote.
        var start: Int
        var value: Range<Int>
    }

    let bytes: [UInt8]
    private(set) var members: [Member] = []
    /// The index of the closing `}`.
    private(set) var end = 0

    /// Nil when the bytes are not one JSON object.
    init?(_ bytes: [UInt8]) {
        self.bytes = bytes
        var scanner = Scanner(bytes: bytes)
        guard scanner.topLevel(into: &members, end: &end) else { return nil }
    }

    func member(_ key: String) -> Member? { members.first { $0.key == key } }

    /// The raw bytes of a member's value.
    func raw(_ member: Member) -> ArraySlice<UInt8> { bytes[member.value] }

    /// A string value's text (simple escapes decoded); nil when it is not a string.
    func string(_ key: String) -> String? {
        guard let member = member(key), bytes[member.value.lowerBound] == UInt8(ascii: "\"") else { return nil }
        return Scanner.decodeString(bytes[member.value])
    }

    /// A number member as a whole number (`12`; `12.0` and `1.2e1` too, truncated like
    /// `NSNumber.intValue`); nil when absent, not a number or out of range.
    func integer(_ key: String) -> Int? {
        guard let member = member(key) else { return nil }
        let text = String(decoding: bytes[member.value], as: UTF8.self)
        if let whole = Int(text) { return whole }
        guard let number = Double(text), number.isFinite, abs(number) < 9e18 else { return nil }
        return Int(number)
    }

    /// A number member (`2.5`, `1e3`); nil when absent, not a number or not finite.
    func number(_ key: String) -> Double? {
        guard let member = member(key), let number = Double(String(decoding: bytes[member.value], as: UTF8.self)), number.isFinite else { return nil }
        return number
    }

    /// `true`/`false` of a member; nil when absent or not a boolean.
    func bool(_ key: String) -> Bool? {
        guard let member = member(key) else { return nil }
        let value = bytes[member.value]
        if value.elementsEqual("true".utf8) { return true }
        if value.elementsEqual("false".utf8) { return false }
        return nil
    }

    /// The body with `replacements` (key → new raw value) applied, `removals` taken out and
    /// `additions` (raw `"key":value` text) appended before the closing brace.
    func edited(replacing replacements: [String: [UInt8]], removing removals: Set<String>, adding additions: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + additions.count + 64)
        out.append(contentsOf: bytes[0..<(members.first?.start ?? end)])
        var wroteMember = false
        var previousKept = false
        for (index, member) in members.enumerated() {
            guard !removals.contains(member.key) else {
                previousKept = false
                continue
            }
            if wroteMember {
                // The original separator (comma and spacing) when the member before stayed.
                if previousKept { out.append(contentsOf: bytes[members[index - 1].value.upperBound..<member.start]) } else { out.append(UInt8(ascii: ",")) }
            }
            if let replacement = replacements[member.key] {
                out.append(contentsOf: bytes[member.start..<member.value.lowerBound])
                out.append(contentsOf: replacement)
            } else {
                out.append(contentsOf: bytes[member.start..<member.value.upperBound])
            }
            wroteMember = true
            previousKept = true
        }
        if let last = members.last { out.append(contentsOf: bytes[last.value.upperBound..<end].filter { $0 != UInt8(ascii: ",") }) }
        if !additions.isEmpty {
            if wroteMember { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: additions)
        }
        out.append(contentsOf: bytes[end...])
        return out
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [92, 34]
            case 92: out += [92, 92]
            case 0..<32: out += Array("\\u00".utf8) + [hex(byte >> 4), hex(byte & 15)]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    private static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 87 + nibble }
}

/// A minimal JSON syntax scanner over bytes.
private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func topLevel(into members: inout [JSONBody.Member], end: inout Int) -> Bool {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if take(UInt8(ascii: "}")) {
            end = index - 1
            return trailingSpaceOnly()
        }
        while true {
            skipSpace()
            let start = index
            guard peek == UInt8(ascii: "\""), let keyRange = string() else { return false }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipSpace()
            let valueStart = index
            guard value() else { return false }
            members.append(.init(key: Scanner.decodeString(bytes[keyRange]) ?? "", start: start, value: valueStart..<index))
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            guard peek == UInt8(ascii: "}") else { return false }
            end = index
            index += 1
            return trailingSpaceOnly()
        }
    }

    private mutating func trailingSpaceOnly() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while let byte = peek, byte == 32 || byte == 9 || byte == 10 || byte == 13 { index += 1 }
    }

    /// A string literal; its span including the quotes.
    private mutating func string() -> Range<Int>? {
        let start = index
        guard take(UInt8(ascii: "\"")) else { return nil }
        while let byte = peek {
            index += 1
            if byte == UInt8(ascii: "\"") { return start..<index }
            if byte == 92 {
                guard peek != nil else { return nil }
                index += 1
            } else if byte < 32 {
                return nil
            }
        }
        return nil
    }

    private mutating func value() -> Bool {
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            guard depth <= 64 else { return false }
            defer { depth -= 1 }
            return container(close: byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"), object: byte == UInt8(ascii: "{"))
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    private mutating func container(close: UInt8, object: Bool) -> Bool {
        index += 1
        skipSpace()
        if take(close) { return true }
        while true {
            skipSpace()
            if object {
                guard string() != nil else { return false }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return false }
                skipSpace()
            }
            guard value() else { return false }
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(close)
        }
    }

    private mutating func literal(_ text: String) -> Bool {
        let count = text.utf8.count
        guard index + count <= bytes.count else { return false }
        let matches = bytes[index..<index + count].elementsEqual(text.utf8)
        if matches { index += count }
        return matches
    }

    private mutating func number() -> Bool {
        let start = index
        while let byte = peek, (48...57).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            index += 1
        }
        guard index > start else { return false }
        return Double(String(decoding: bytes[start..<index], as: UTF8.self)) != nil
    }

    /// The text of a string literal (with its quotes); nil for an escape it cannot read.
    static func decodeString(_ literal: ArraySlice<UInt8>) -> String? {
        let inner = literal.dropFirst().dropLast()
        guard inner.contains(92) else { return String(decoding: inner, as: UTF8.self) }
        // Rare: let Foundation-free decoding handle the escapes by a small state machine.
        var out: [UInt8] = []
        var iterator = inner.makeIterator()
        while let byte = iterator.next() {
            guard byte == 92 else { out.append(byte); continue }
            guard let escaped = iterator.next() else { return nil }
            switch escaped {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                guard var code = hexQuad(&iterator) else { return nil }
                if (0xD800..<0xDC00).contains(code) {
                    // A high surrogate: with the low one that must follow it, one scalar beyond the BMP.
                    var lookahead = iterator
                    if lookahead.next() == 92, lookahead.next() == UInt8(ascii: "u"), let low = hexQuad(&lookahead), (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        iterator = lookahead
                    }
                }
                // A lone surrogate is valid JSON but no character: U+FFFD, as lenient decoders read it.
                let scalar = UnicodeScalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: out.append(escaped)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of the four hex digits an iterator stands before (after `\\u`); nil when they are not hex.
    private static func hexQuad(_ iterator: inout ArraySlice<UInt8>.Iterator) -> UInt32? {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = iterator.next() else { return nil }
            let value: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            code = code * 16 + UInt32(value)
        }
        return code
    }
}
