import Foundation

/// Speech and video answers: the media's own bytes (OpenAI's `audio/speech`, Hugging Face's
/// shape), or JSON pointing at it (`{"audio": {"url"}}`, `{"video": {"url"}}`, `{"output": url}`,
/// `{"data": [{"url"}]}`, as partner providers send). Bytes must be a whole file of a known format.
enum MediaAnswer {
    static func measureAudio(_ body: [UInt8], contentType: String?) throws -> TaskAnswerMeasure {
        var measure = TaskAnswerMeasure()
        if let format = MediaFormat.audio(startingWith: body) {
            try format.validate(body)
            measure.audioSeconds = AudioDuration.seconds(of: body, format: format)
        } else if TaskAnswers.mediaType(contentType) == "audio/pcm" {
            // OpenAI's raw PCM: 24 kHz, 16-bit, mono.
            guard !body.isEmpty, body.count % 2 == 0 else { throw TaskAnswerProblem("the PCM answer is empty or cut mid-sample") }
            measure.audioSeconds = Double(body.count) / 48_000
        } else if TaskAnswers.mediaType(contentType)?.hasPrefix("audio/") == true {
            throw TaskAnswerProblem("the speech answer's bytes are not WAV, FLAC, MP3, AAC or Ogg")
        } else {
            switch try reference(in: body, keys: ["audio", "output"], what: "speech") {
            case .bytes(let bytes):
                guard let format = MediaFormat.audio(startingWith: bytes) else { throw TaskAnswerProblem("the inline audio is not WAV, FLAC, MP3, AAC or Ogg") }
                try format.validate(bytes)
                measure.audioSeconds = AudioDuration.seconds(of: bytes, format: format)
            case .url: measure.byReference = true
            }
        }
        return measure
    }

    static func measureVideo(_ body: [UInt8], contentType: String?) throws -> TaskAnswerMeasure {
        var measure = TaskAnswerMeasure()
        if let format = MediaFormat.video(startingWith: body) {
            try format.validate(body)
        } else if TaskAnswers.mediaType(contentType)?.hasPrefix("video/") == true {
            throw TaskAnswerProblem("the video answer's bytes are not MP4 or WebM")
        } else {
            switch try reference(in: body, keys: ["video", "output"], what: "video") {
            case .bytes(let bytes):
                guard let format = MediaFormat.video(startingWith: bytes) else { throw TaskAnswerProblem("the inline video is not MP4 or WebM") }
                try format.validate(bytes)
            case .url: measure.byReference = true
            }
        }
        return measure
    }

    private enum Reference { case bytes([UInt8]), url }

    /// The media a JSON answer points at, under one of `keys` (as `{"url"}` or a string) or
    /// OpenAI-style `data[0].url`.
    private static func reference(in body: [UInt8], keys: [String], what: String) throws -> Reference {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TaskAnswerProblem("the answer is neither \(what) bytes nor JSON pointing at them")
        }
        let candidates = keys.map { object[$0] } + [(object["data"] as? [Any])?.first]
        for candidate in candidates {
            let url = (candidate as? String) ?? ((candidate as? [String: Any])?["url"] as? String)
                ?? ((candidate as? [Any])?.first as? String)
            guard let url, !url.isEmpty else { continue }
            if let bytes = try DataURL.bytes(url) { return .bytes(bytes) }
            return .url
        }
        throw TaskAnswerProblem("the JSON answer names no \(what) (\(keys.joined(separator: ", ")) or data[].url)")
    }
}

/// Seconds of audio where the headers tell (WAV, FLAC, AAC's ADTS frames); nil for formats that need decoding.
enum AudioDuration {
    static func seconds(of bytes: [UInt8], format: MediaFormat) -> Double? {
        switch format {
        case .wav: wav(bytes)
        case .flac: flac(bytes)
        case .aac: try? ADTS.validate(bytes)
        default: nil
        }
    }

    /// From the `fmt ` chunk's byte rate and the `data` chunk's size (or the bytes present when a
    /// streaming writer left the size unknown).
    static func wav(_ bytes: [UInt8]) -> Double? {
        var offset = 12
        var byteRate: UInt32?
        while let size = ByteReader.uint32LE(bytes, at: offset + 4) {
            let id = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            if id == "fmt " { byteRate = ByteReader.uint32LE(bytes, at: offset + 16) }
            if id == "data" {
                guard let byteRate, byteRate > 0 else { return nil }
                let present = bytes.count - offset - 8
                let length = size == 0xFFFF_FFFF ? present : min(Int(size), present)
                return Double(length) / Double(byteRate)
            }
            offset += 8 + Int(size) + Int(size & 1)
        }
        return nil
    }

    /// From STREAMINFO: sample rate (20 bits) and total samples (36 bits).
    static func flac(_ bytes: [UInt8]) -> Double? {
        guard bytes.count >= 42, bytes[4] & 0x7F == 0 else { return nil }
        let info = Array(bytes[8..<42])
        let rate = UInt64(info[10]) << 12 | UInt64(info[11]) << 4 | UInt64(info[12]) >> 4
        let samples = (UInt64(info[13]) & 0x0F) << 32 | UInt64(info[14]) << 24 | UInt64(info[15]) << 16 | UInt64(info[16]) << 8 | UInt64(info[17])
        guard rate > 0, samples > 0 else { return nil }
        return Double(samples) / Double(rate)
    }
}
