/// Finding a short byte string in a stream's bytes, specialized for contiguous `UInt8`s.
/// (`firstRange(of:)` on `[UInt8]` resolves to Foundation's generic `DataProtocol` search,
/// which took a sixth of the gateway's CPU on streamed answers.)
enum ByteSearch {
    /// Where `needle` first starts in `bytes` (an index of `bytes`), or nil.
    static func firstIndex(of needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard !needle.isEmpty else { return bytes.startIndex }
        let offset = bytes.withUnsafeBufferPointer { haystack -> Int? in
            needle.withUnsafeBufferPointer { needle -> Int? in
                guard haystack.count >= needle.count else { return nil }
                let first = needle[0]
                var index = 0
                let last = haystack.count - needle.count
                search: while index <= last {
                    if haystack[index] == first {
                        for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                            index += 1
                            continue search
                        }
                        return index
                    }
                    index += 1
                }
                return nil
            }
        }
        return offset.map { bytes.startIndex + $0 }
    }

    /// Whether `needle` occurs in `bytes`.
    static func contains(_ needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Bool {
        firstIndex(of: needle, in: bytes) != nil
    }

    /// How many times `needle` occurs in `bytes`, not overlapping.
    static func count(of needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int {
        guard !needle.isEmpty else { return 0 }
        var found = 0
        var rest = bytes
        while let start = firstIndex(of: needle, in: rest) {
            found += 1
            rest = rest[(start + needle.count)...]
        }
        return found
    }
}
