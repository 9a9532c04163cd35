/// Small, real media files made in code: the simulator answers with them, and the speech-to-text
/// probe sends one, so no file is fetched or shipped. Deterministic bytes, no I/O.
public enum SampleMedia {
    /// An RGB PNG of `width` × `height` pixels (a gradient), zlib with stored (uncompressed)
    /// deflate blocks, so any PNG decoder reads it. Sizes are clamped to 1...1024.
    public static func png(width: Int, height: Int) -> [UInt8] {
        let width = min(max(width, 1), 1024), height = min(max(height, 1), 1024)
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (1 + width * 3))
        for y in 0..<height {
            raw.append(0)  // filter: none
            for x in 0..<width {
                raw.append(UInt8(x * 255 / max(width - 1, 1)))
                raw.append(UInt8(y * 255 / max(height - 1, 1)))
                raw.append(128)
            }
        }
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8 bits, truecolour, deflate, adaptive filtering, no interlace
        var file: [UInt8] = pngSignature
        file += chunk("IHDR", header)
        file += chunk("IDAT", zlibStored(raw))
        file += chunk("IEND", [])
        return file
    }

    /// The eight bytes every PNG starts with.
    public static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A mono 16-bit PCM WAV of `seconds` (clamped to 0...60) at `sampleRate`: a quiet triangle
    /// tone of about `toneHz`, or silence when `toneHz` is 0.
    public static func wav(seconds: Double, sampleRate: Int = 16_000, toneHz: Int = 440) -> [UInt8] {
        let rate = min(max(sampleRate, 8_000), 48_000)
        let frames = Int((min(max(seconds, 0), 60) * Double(rate)).rounded())
        let period = toneHz > 0 ? max(rate / toneHz, 2) : 0
        var file: [UInt8] = Array("RIFF".utf8)
        file.appendLittleEndian(UInt32(36 + frames * 2))
        file += Array("WAVEfmt ".utf8)
        file.appendLittleEndian(UInt32(16))
        file.appendLittleEndian(UInt16(1))  // PCM
        file.appendLittleEndian(UInt16(1))  // mono
        file.appendLittleEndian(UInt32(rate))
        file.appendLittleEndian(UInt32(rate * 2))
        file.appendLittleEndian(UInt16(2))
        file.appendLittleEndian(UInt16(16))
        file += Array("data".utf8)
        file.appendLittleEndian(UInt32(frames * 2))
        file.reserveCapacity(file.count + frames * 2)
        for frame in 0..<frames {
            var sample = 0
            if period > 0 {
                let phase = frame % period, half = period / 2
                let ramp = phase < half ? phase : period - phase  // 0...half
                sample = (ramp * 2 - half) * 4_000 / max(half, 1)
            }
            file.appendLittleEndian(UInt16(bitPattern: Int16(sample)))
        }
        return file
    }

    /// A minimal ISO base media (MP4) file: an `ftyp` box, then an `mdat` box of `payloadBytes`.
    /// Enough for a client to recognise video bytes; not a playable clip.
    public static func mp4(payloadBytes: Int = 256) -> [UInt8] {
        var file: [UInt8] = []
        let brands = ["isom", "iso2", "mp41"]
        file.appendBigEndian(UInt32(16 + 4 * brands.count))
        file += Array("ftypisom".utf8)
        file.appendBigEndian(UInt32(0x200))
        for brand in brands { file += Array(brand.utf8) }
        let payload = max(payloadBytes, 0)
        file.appendBigEndian(UInt32(8 + payload))
        file += Array("mdat".utf8)
        file += (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        return file
    }

    /// The CRC-32 (IEEE) PNG chunks carry.
    public static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBigEndian(UInt32(data.count))
        let typed = Array(type.utf8) + data
        out += typed
        out.appendBigEndian(crc32(typed))
        return out
    }

    /// `bytes` as a zlib stream of stored deflate blocks (at most 65,535 bytes each).
    private static func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65_535, bytes.count - offset)
            out.append(offset + count == bytes.count ? 1 : 0)
            out.appendLittleEndian(UInt16(count))
            out.appendLittleEndian(~UInt16(count))
            out += bytes[offset..<offset + count]
            offset += count
        } while offset < bytes.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        out.appendBigEndian(b << 16 | a)
        return out
    }
}

private extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: 0, to: T.bitWidth, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}
