import Testing
@testable import SwitchyardCore

/// AAC speech answers (ADTS frames, `audio/aac`): recognised by their sync and layer 00, walked
/// frame by frame (a cut last frame is a truncated answer) and measured in seconds.
@Suite struct AACAnswerTests {
    /// `frames` ADTS frames at 16 kHz, stereo, no CRC, each a 7-byte header and `payload` bytes.
    static func adts(frames: Int, payload: Int = 20, mpeg2: Bool = false) -> [UInt8] {
        let length = 7 + payload
        var out: [UInt8] = []
        for _ in 0..<frames {
            out += [0xFF, mpeg2 ? 0xF9 : 0xF1, 0x40 | 8 << 2, 0x80 | UInt8(length >> 11 & 0x03),
                    UInt8(length >> 3 & 0xFF), UInt8(length & 0x07) << 5 | 0x1F, 0xFC]
            out += [UInt8](repeating: 0x21, count: payload)
        }
        return out
    }

    @Test(arguments: [false, true])
    func aWholeADTSStreamIsSpeechWithItsDuration(mpeg2: Bool) {
        let aac = Self.adts(frames: 25, mpeg2: mpeg2)
        #expect(MediaFormat.audio(startingWith: aac) == .aac)
        let heard = try? TaskAnswers.check(.textToSpeech, body: aac, contentType: "audio/aac").get()
        #expect(heard.flatMap(\.audioSeconds).map { abs($0 - 1.6) < 1e-9 } == true, "25 frames of 1024 samples at 16 kHz")
    }

    @Test func aCutOrCorruptStreamIsABadAnswer() {
        let aac = Self.adts(frames: 25)
        let problem = { (bytes: [UInt8]) -> String? in
            if case .failure(let problem) = TaskAnswers.check(.textToSpeech, body: bytes, contentType: "audio/aac") { return problem.message }
            return nil
        }
        #expect(problem(Array(aac.dropLast(5)))?.contains("truncated AAC: frame 24 declares 27 bytes, 22 came") == true)
        var corrupt = aac
        corrupt[27 * 3] = 0x00
        #expect(problem(corrupt)?.contains("corrupt AAC: frame 3 has no ADTS sync") == true)
        #expect(problem(Array("{\"oops\":1}".utf8))?.contains("not WAV, FLAC, MP3, AAC or Ogg") == true)
    }

    @Test func anMP3FrameIsStillMP3() {
        // MPEG-1 layer III: FF FB (layer bits 01), not ADTS's 00.
        #expect(MediaFormat.audio(startingWith: [0xFF, 0xFB, 0x90, 0x64] + [UInt8](repeating: 0, count: 100)) == .mp3)
    }
}
