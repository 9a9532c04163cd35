/// Appends the pieces of a stored block: bytes and LEB128 varints.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// An unsigned LEB128 varint: 7 bits per byte, small values in one byte.
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A non-negative integer as a varint (negative values are stored as 0).
    mutating func varint(_ value: Int) { varint(UInt64(max(0, value))) }
    mutating func varint(_ value: Int64) { varint(UInt64(max(0, value))) }

    /// A signed integer, zigzag-encoded so small magnitudes of either sign stay short.
    mutating func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    /// UTF-8 text, length first.
    mutating func text(_ value: String) {
        let utf8 = Array(value.utf8)
        varint(utf8.count)
        bytes.append(contentsOf: utf8)
    }
}

/// Reads what `ByteWriter` wrote; every read throws on a truncated or malformed block.
/// It reads memory it does not own: use it inside `ByteReader.reading(_:_:)`.
struct ByteReader {
    struct Malformed: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Runs `body` with a reader over `bytes`, valid for the duration of the call.
    static func reading<T>(_ bytes: [UInt8], _ body: (inout ByteReader) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            return try body(&reader)
        }
    }

    var isAtEnd: Bool { position >= bytes.count }

    @inline(__always)
    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw Malformed() }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws -> UInt64 {
        // The common case, one byte (counts, small gaps), without the loop.
        if position < bytes.count, bytes[position] < 0x80 {
            defer { position += 1 }
            return UInt64(bytes[position])
        }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            guard shift < 64 else { throw Malformed() }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A varint of at most `limit` (2^40 by default: a trillion counts, 12 days in µs). Stored
    /// values are far below; a corrupt block that decodes to more is refused here, so no sum of
    /// decoded values can overflow and trap.
    mutating func int(limit: Int = 1 << 40) throws -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else { throw Malformed() }
        return Int(value)
    }

    mutating func signed() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func text() throws -> String {
        let count = try int()
        guard count <= bytes.count - position else { throw Malformed() }
        defer { position += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]), as: UTF8.self)
    }
}
