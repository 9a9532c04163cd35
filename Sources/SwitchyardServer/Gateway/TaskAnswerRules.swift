import Foundation
import SwitchyardCore

/// The checks of non-text answers the gateway applies to a held body: vectors, images, audio.
enum TaskAnswerRules {
    typealias Problem = AnswerCheck.Problem

    /// Every `data[].embedding` is a non-empty list of numbers (or base64 of float32s), of
    /// `dimensions` values when the request asked for that many. The number of vectors.
    static func embeddings(_ body: JSONBody, dimensions: Int?) -> Result<Int, Problem> {
        guard let member = body.member("data"),
              let items = (try? JSONSerialization.jsonObject(with: Data(body.raw(member)))) as? [Any] else {
            return .failure(.bad("embeddings whose `data` is not a list"))
        }
        guard !items.isEmpty else { return .failure(.bad("embeddings with no vector")) }
        for (index, item) in items.enumerated() {
            let embedding = (item as? [String: Any])?["embedding"]
            let length: Int
            if let numbers = embedding as? [Any], numbers.allSatisfy({ $0 is NSNumber && !($0 is Bool) }) {
                length = numbers.count
            } else if let text = embedding as? String, let raw = Data(base64Encoded: text), raw.count % 4 == 0 {
                length = raw.count / 4
            } else {
                return .failure(.bad("embedding \(index) is not a list of numbers"))
            }
            guard length > 0 else { return .failure(.bad("embedding \(index) is a vector of length 0")) }
            if let dimensions, length != dimensions {
                return .failure(.bad("embedding \(index) has \(length) dimensions, the request asked for \(dimensions)"))
            }
        }
        return .success(items.count)
    }

    /// Every `data[]` item is an image: `b64_json` that decodes to a whole PNG, JPEG or WebP, or
    /// a `url`. The number of images.
    static func images(_ body: JSONBody) -> Result<Int, Problem> {
        guard let member = body.member("data"),
              let items = (try? JSONSerialization.jsonObject(with: Data(body.raw(member)))) as? [Any] else {
            return .failure(.bad("an image answer whose `data` is not a list"))
        }
        guard !items.isEmpty else { return .failure(.bad("an image answer with no image")) }
        for (index, item) in items.enumerated() {
            let object = item as? [String: Any]
            if let text = object?["b64_json"] as? String {
                guard let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                    return .failure(.bad("image \(index): b64_json is not base64"))
                }
                if let why = ImageBytes.problem([UInt8](bytes)) { return .failure(.bad("image \(index): \(why)")) }
            } else if let url = object?["url"] as? String, !url.isEmpty {
                continue
            } else {
                return .failure(.bad("image \(index) has neither b64_json nor url"))
            }
        }
        return .success(items.count)
    }

    /// Audio bytes: a WAV must have a whole header (its length in seconds is returned); other
    /// formats (MP3, Opus, AAC, FLAC) only need to be non-empty.
    static func audio(_ bytes: [UInt8]) -> Result<Double?, Problem> {
        guard bytes.starts(with: Array("RIFF".utf8)) else { return .success(nil) }
        guard let seconds = WAVHeader.seconds(bytes) else { return .failure(.bad("a WAV whose header is cut or malformed")) }
        return .success(seconds)
    }
}

/// A decoded image checked for being whole: a PNG's chunks up to `IEND`, a JPEG's end marker, a WebP's RIFF size.
enum ImageBytes {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Why `bytes` is not a whole image; nil when it is.
    static func problem(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: pngSignature) { return png(bytes) }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return bytes.suffix(2).elementsEqual([0xFF, 0xD9]) ? nil : "a JPEG cut short (no end marker)" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), bytes[8..<12].elementsEqual("WEBP".utf8) {
            return UInt32(littleEndianAt: 4, in: bytes).map { Int($0) + 8 <= bytes.count } == true ? nil : "a WebP cut short"
        }
        return bytes.isEmpty ? "an empty image" : "not a PNG, JPEG or WebP"
    }

    /// Walks the chunks: `IHDR` first, each chunk whole, ending with `IEND`.
    private static func png(_ bytes: [UInt8]) -> String? {
        var index = pngSignature.count
        var first = true
        while index + 8 <= bytes.count {
            guard let length = UInt32(bigEndianAt: index, in: bytes).map(Int.init), length <= 0x7FFF_FFFF else { return "a PNG chunk length over 2^31" }
            let type = String(decoding: bytes[index + 4..<index + 8], as: UTF8.self)
            if first, type != "IHDR" { return "a PNG whose first chunk is not IHDR" }
            first = false
            let end = index + 12 + length
            guard end <= bytes.count else { return "a PNG cut short (in its \(type) chunk)" }
            if type == "IEND" { return nil }
            index = end
        }
        return "a PNG cut short (no IEND)"
    }
}

/// The length of a WAV (RIFF/WAVE with a `fmt ` and a `data` chunk), in seconds.
enum WAVHeader {
    static func seconds(_ bytes: [UInt8]) -> Double? {
        guard bytes.count >= 12, bytes[8..<12].elementsEqual("WAVE".utf8) else { return nil }
        var index = 12
        var byteRate: UInt32?
        while index + 8 <= bytes.count {
            guard let size = UInt32(littleEndianAt: index + 4, in: bytes).map(Int.init) else { return nil }
            let id = String(decoding: bytes[index..<index + 4], as: UTF8.self)
            if id == "fmt " {
                guard index + 20 <= bytes.count else { return nil }
                byteRate = UInt32(littleEndianAt: index + 16, in: bytes)
            } else if id == "data" {
                guard let byteRate, byteRate > 0 else { return nil }
                // A stream's data chunk may claim 0 or 0xFFFFFFFF; the bytes present count then.
                let present = bytes.count - index - 8
                let length = size == 0 || size == 0xFFFF_FFFF ? present : min(size, present)
                return Double(length) / Double(byteRate)
            }
            index += 8 + size + (size & 1)
        }
        return nil
    }
}

extension UInt32 {
    init?(littleEndianAt index: Int, in bytes: [UInt8]) {
        guard index >= 0, index + 4 <= bytes.count else { return nil }
        self = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
    }

    init?(bigEndianAt index: Int, in bytes: [UInt8]) {
        guard index >= 0, index + 4 <= bytes.count else { return nil }
        self = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }
}
