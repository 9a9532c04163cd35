import CZlib

/// zlib's one-shot deflate and inflate for stored blocks. A block of observations or
/// rollups is small and repetitive (the same classes, statuses, token counts and nearby
/// latencies over and over), so it shrinks to a fraction of its encoded size.
enum Deflate {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The zlib stream of `bytes` at a zlib level (1 fastest … 9 smallest).
    static func compress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        // compress2 only fails for lack of memory or a bad level; both are programming errors here.
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// Inflates a zlib stream that decompresses to exactly `size` bytes.
    static func decompress(_ compressed: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
        guard size >= 0, size <= 64 << 20 else { throw Failure(description: "implausible block size \(size)") }
        var status: Int32 = Z_OK
        let output = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, initialized in
            var length = uLong(size)
            status = uncompress(buffer.baseAddress, &length, compressed.baseAddress?.assumingMemoryBound(to: UInt8.self), uLong(compressed.count))
            initialized = status == Z_OK && Int(length) == size ? size : 0
        }
        guard status == Z_OK, output.count == size else { throw Failure(description: "corrupt block (zlib status \(status))") }
        return output
    }
}
