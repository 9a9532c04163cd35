/// Small, real media files made in code: what the simulator answers and what probes send (a
/// speech-to-text probe uploads a generated clip; nothing is fetched).
public enum MediaSamples {
    /// An RGB PNG of one colour, its pixels in stored (uncompressed) deflate blocks.
    public static func png(width: Int = 8, height: Int = 8, rgb: (UInt8, UInt8, UInt8) = (40, 120, 200)) -> [UInt8] {
        precondition(width > 0 && height > 0 && width * 3 + 1 <= 65_535)
        var header: [UInt8] = []
        header += be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0]
        let row = [UInt8(0)] + Array((0..<width).flatMap { _ in [rgb.0, rgb.1, rgb.2] })
        let pixels = Array((0..<height).flatMap { _ in row })
        return PNG.signature + chunk("IHDR", header) + chunk("IDAT", zlibStored(pixels)) + chunk("IEND", [])
    }

    /// A 16-bit mono PCM WAV: a sine tone of `hertz` (0: silence) lasting `seconds`.
    public static func wav(seconds: Double = 1, sampleRate: Int = 16_000, hertz: Double = 440) -> [UInt8] {
        let count = Int(seconds * Double(sampleRate))
        var samples: [UInt8] = []
        samples.reserveCapacity(count * 2)
        for index in 0..<count {
            let value = hertz == 0 ? 0 : Int16(8_000 * sine(2 * Double.pi * hertz * Double(index) / Double(sampleRate)))
            samples += le16(UInt16(bitPattern: value))
        }
        let format = le16(1) + le16(1) + le32(UInt32(sampleRate)) + le32(UInt32(sampleRate * 2)) + le16(2) + le16(16)
        let body = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16) + format + Array("data".utf8) + le32(UInt32(samples.count)) + samples
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    /// An MP4 of the boxes a player looks for first: `ftyp`, a `moov` with its `mvhd`, and `mdat`.
    public static func mp4(seconds: UInt32 = 1) -> [UInt8] {
        let ftyp = box("ftyp", Array("isom".utf8) + be32(512) + Array("isomiso2mp41".utf8))
        let mvhd = box("mvhd", [0, 0, 0, 0] + be32(0) + be32(0) + be32(1_000) + be32(seconds * 1_000) + be32(0x0001_0000) + [1, 0] + Array(repeating: 0, count: 10)
                       + [0, 1, 0, 0] + Array(repeating: 0, count: 12) + [0, 1, 0, 0] + Array(repeating: 0, count: 12) + [0x40, 0, 0, 0]
                       + Array(repeating: 0, count: 24) + be32(2))
        return ftyp + box("moov", mvhd) + box("mdat", Array(repeating: 0, count: 64))
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return be32(UInt32(data.count)) + typed + be32(CRC32.checksum(typed))
    }

    private static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        be32(UInt32(payload.count + 8)) + Array(type.utf8) + payload
    }

    /// zlib around stored deflate blocks (no compression), with its Adler-32.
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let end = min(start + 65_535, data.count)
            let length = UInt16(end - start)
            out += [end == data.count ? 1 : 0] + le16(length) + le16(~length) + data[start..<end]
            start = end
        } while start < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + be32(b << 16 | a)
    }

    /// A sine without Foundation: Bhaskara's approximation is plenty for a test tone.
    private static func sine(_ radians: Double) -> Double {
        var x = radians.truncatingRemainder(dividingBy: 2 * .pi)
        let sign: Double = x > .pi ? -1 : 1
        if x > .pi { x -= .pi }
        return sign * 16 * x * (.pi - x) / (5 * .pi * .pi - 4 * x * (.pi - x))
    }

    private static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    private static func le32(_ value: UInt32) -> [UInt8] { be32(value).reversed() }
    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
}
