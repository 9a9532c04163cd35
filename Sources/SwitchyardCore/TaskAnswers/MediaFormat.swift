/// The media formats answers come in, recognised by their first bytes and checked whole, so a
/// truncated or corrupted file is a failed attempt rather than something handed to a caller.
enum MediaFormat: Equatable {
    case png, jpeg, webp, gif
    case wav, flac, mp3, ogg
    /// AAC in ADTS frames (`audio/aac`).
    case aac
    case mp4, webm

    static func image(startingWith bytes: [UInt8]) -> MediaFormat? {
        if bytes.starts(with: PNG.signature) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: Array("RIFF".utf8)), bytes.count >= 12, Array(bytes[8..<12]) == Array("WEBP".utf8) { return .webp }
        if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) { return .gif }
        return nil
    }

    static func audio(startingWith bytes: [UInt8]) -> MediaFormat? {
        if bytes.starts(with: Array("RIFF".utf8)), bytes.count >= 12, Array(bytes[8..<12]) == Array("WAVE".utf8) { return .wav }
        if bytes.starts(with: Array("fLaC".utf8)) { return .flac }
        if bytes.starts(with: Array("OggS".utf8)) { return .ogg }
        if ADTS.starts(bytes) { return .aac }  // before MP3: both start with an FFF sync, ADTS has layer 00
        if bytes.starts(with: Array("ID3".utf8)) || (bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) { return .mp3 }
        return nil
    }

    static func video(startingWith bytes: [UInt8]) -> MediaFormat? {
        if bytes.count >= 8, Array(bytes[4..<8]) == Array("ftyp".utf8) { return .mp4 }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return .webm }
        return nil
    }

    /// Throws what is wrong with a file of this format.
    func validate(_ bytes: [UInt8]) throws {
        switch self {
        case .png: try PNG.validate(bytes)
        case .jpeg:
            let tail = Array(bytes.suffix(16))
            guard bytes.count >= 4, tail.indices.dropLast().contains(where: { tail[$0] == 0xFF && tail[$0 + 1] == 0xD9 }) else {
                throw TaskAnswerProblem("truncated JPEG: no end-of-image marker")
            }
        case .webp, .wav:
            let declared = Int(ByteReader.uint32LE(bytes, at: 4) ?? 0) + 8
            guard declared <= bytes.count || (self == .wav && declared == 0xFFFF_FFFF + 8) else {
                throw TaskAnswerProblem("truncated \(self == .wav ? "WAV" : "WebP"): RIFF declares \(declared) bytes, \(bytes.count) came")
            }
        case .gif:
            guard bytes.last == 0x3B else { throw TaskAnswerProblem("truncated GIF: no trailer") }
        case .flac, .mp3, .ogg, .webm:
            guard bytes.count > 64 else { throw TaskAnswerProblem("the \(self) answer is only \(bytes.count) bytes") }
        case .mp4: try MP4.validate(bytes)
        case .aac: try ADTS.validate(bytes)
        }
    }
}

/// PNG: signature, then chunks (length, type, data, CRC-32) from IHDR to IEND.
enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func validate(_ bytes: [UInt8]) throws {
        var offset = signature.count
        var sawHeader = false, sawData = false
        while offset < bytes.count {
            guard let length = ByteReader.uint32BE(bytes, at: offset).map(Int.init), offset + 12 + length <= bytes.count else {
                throw TaskAnswerProblem("truncated PNG: a chunk runs past the end at byte \(offset)")
            }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let crc = ByteReader.uint32BE(bytes, at: offset + 8 + length)
            guard crc == CRC32.checksum(bytes[(offset + 4)..<(offset + 8 + length)]) else {
                throw TaskAnswerProblem("corrupt PNG: chunk \(type) fails its CRC")
            }
            if !sawHeader {
                guard type == "IHDR", length == 13, ByteReader.uint32BE(bytes, at: offset + 8) != 0, ByteReader.uint32BE(bytes, at: offset + 12) != 0 else {
                    throw TaskAnswerProblem("corrupt PNG: it does not start with a valid IHDR")
                }
                sawHeader = true
            }
            if type == "IDAT" { sawData = true }
            if type == "IEND" {
                guard sawData else { throw TaskAnswerProblem("corrupt PNG: no image data") }
                return
            }
            offset += 12 + length
        }
        throw TaskAnswerProblem("truncated PNG: no IEND chunk")
    }
}

/// MP4 (ISO BMFF): boxes of (size, type) that tile the file, starting with `ftyp`, holding `moov`.
enum MP4 {
    static func validate(_ bytes: [UInt8]) throws {
        var offset = 0
        var types: [String] = []
        while offset < bytes.count {
            guard let size32 = ByteReader.uint32BE(bytes, at: offset), offset + 8 <= bytes.count else {
                throw TaskAnswerProblem("truncated MP4: a box header is cut at byte \(offset)")
            }
            types.append(String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self))
            var size = Int(size32)
            if size == 1 {
                guard let high = ByteReader.uint32BE(bytes, at: offset + 8), let low = ByteReader.uint32BE(bytes, at: offset + 12), high == 0 else {
                    throw TaskAnswerProblem("truncated MP4: a large box's size is cut")
                }
                size = Int(low)
            } else if size == 0 {
                size = bytes.count - offset
            }
            guard size >= 8, offset + size <= bytes.count else {
                throw TaskAnswerProblem("truncated MP4: box \(types.last ?? "?") declares \(size) bytes, \(bytes.count - offset) remain")
            }
            offset += size
        }
        guard types.first == "ftyp" else { throw TaskAnswerProblem("corrupt MP4: it does not start with ftyp") }
        guard types.contains("moov") else { throw TaskAnswerProblem("corrupt MP4: no moov box (not playable)") }
    }
}

/// Integers read from byte arrays, nil past the end.
enum ByteReader {
    static func uint32BE(_ bytes: [UInt8], at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// RIFF's byte order.
    static func uint32LE(_ bytes: [UInt8], at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return bytes[offset..<(offset + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func uint16LE(_ bytes: [UInt8], at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }
}

/// CRC-32 (ISO-HDLC, as PNG uses).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}
