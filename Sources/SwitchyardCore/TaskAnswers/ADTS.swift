/// AAC in ADTS frames (what `audio/aac` answers hold): each frame starts with the 12-bit sync
/// `FFF` and layer `00` (`FF F1` MPEG-4, `FF F9` MPEG-2) and says its own length, so the frames
/// must tile the file exactly; a last frame cut short is a truncated answer.
enum ADTS {
    /// Whether `bytes` start like an ADTS frame (an MP3 frame has a non-zero layer).
    static func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
        offset + 1 < bytes.count && bytes[offset] == 0xFF && bytes[offset + 1] & 0xF6 == 0xF0
    }

    /// The sampling frequencies of the header's 4-bit index (13 to 15 are reserved).
    private static let sampleRates = [96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350]

    /// Walks every frame; returns the seconds of audio they hold, or throws what is wrong.
    @discardableResult
    static func validate(_ bytes: [UInt8]) throws -> Double {
        var offset = 0, samples = 0, frames = 0
        var rate = 0
        while offset < bytes.count {
            guard starts(bytes, at: offset) else { throw TaskAnswerProblem("corrupt AAC: frame \(frames) has no ADTS sync at byte \(offset)") }
            guard offset + 7 <= bytes.count else { throw TaskAnswerProblem("truncated AAC: frame \(frames)'s header is cut") }
            let rateIndex = Int(bytes[offset + 2] >> 2 & 0x0F)
            guard rateIndex < sampleRates.count else { throw TaskAnswerProblem("corrupt AAC: frame \(frames) has a reserved sampling rate") }
            let length = Int(bytes[offset + 3] & 0x03) << 11 | Int(bytes[offset + 4]) << 3 | Int(bytes[offset + 5]) >> 5
            let headerLength = bytes[offset + 1] & 0x01 == 0 ? 9 : 7
            guard length >= headerLength else { throw TaskAnswerProblem("corrupt AAC: frame \(frames) declares \(length) bytes") }
            guard offset + length <= bytes.count else {
                throw TaskAnswerProblem("truncated AAC: frame \(frames) declares \(length) bytes, \(bytes.count - offset) came")
            }
            rate = sampleRates[rateIndex]
            samples += (Int(bytes[offset + 6] & 0x03) + 1) * 1024
            frames += 1
            offset += length
        }
        guard frames > 0, rate > 0 else { throw TaskAnswerProblem("the AAC answer has no frame") }
        return Double(samples) / Double(rate)
    }
}
