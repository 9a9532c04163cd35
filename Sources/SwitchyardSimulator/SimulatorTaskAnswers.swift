import Foundation
import SwitchyardCore

/// A fault of a task answer that still looks like success (HTTP 200): what a broken provider
/// sends for embeddings, images and audio. Set as `task_fault` beside `fault` (which covers
/// errors, JSON garbage, stalls and truncation of any answer).
public enum SimulatorTaskFault: String, Codable, Hashable, Sendable, CaseIterable {
    case none
    /// Embeddings: every vector is empty.
    case emptyVector = "empty_vector"
    /// Embeddings: every vector has a different length than asked for (`dimensions`).
    case wrongDimensions = "wrong_dimensions"
    /// Images: the PNG (in `b64_json` or behind `url`) is cut in half.
    case truncatedPNG = "truncated_png"
    /// Speech: the WAV is cut in half (its header claims more samples than follow).
    case truncatedWAV = "truncated_wav"
}

/// What an embeddings request asked for.
struct EmbeddingsAsk: Decodable, Sendable {
    enum Input: Decodable, Sendable {
        case texts([String])
        case tokens([[Int]])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) { self = .texts([text]) }
            else if let texts = try? c.decode([String].self) { self = .texts(texts) }
            else if let tokens = try? c.decode([Int].self) { self = .tokens([tokens]) }
            else { self = .tokens(try c.decode([[Int]].self)) }
        }

        var count: Int {
            switch self {
            case .texts(let texts): texts.count
            case .tokens(let tokens): tokens.count
            }
        }

        /// Prompt tokens, roughly: a token per 4 bytes of text, or the tokens sent.
        var tokens: Int {
            switch self {
            case .texts(let texts): texts.reduce(0) { $0 + max(1, $1.utf8.count / 4) }
            case .tokens(let tokens): tokens.reduce(0) { $0 + $1.count }
            }
        }
    }

    var model: String
    var input: Input
    var dimensions: Int?
    var encodingFormat: String?

    enum CodingKeys: String, CodingKey {
        case model, input, dimensions
        case encodingFormat = "encoding_format"
    }
}

/// What an image generation request asked for.
struct ImageAsk: Decodable, Sendable {
    var model: String
    var prompt: String
    var n: Int?
    var size: String?
    var responseFormat: String?

    enum CodingKeys: String, CodingKey {
        case model, prompt, n, size
        case responseFormat = "response_format"
    }

    /// `size` as pixels (`WxH`), scaled down to at most `SimulatorTaskAnswers.maxImageSide` a side
    /// keeping its shape; 64×64 for `auto` or none.
    var pixels: (width: Int, height: Int) {
        let parts = (size ?? "").lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return (64, 64) }
        let side = SimulatorTaskAnswers.maxImageSide
        let scale = min(1, Double(side) / Double(max(parts[0], parts[1])))
        return (max(1, Int(Double(parts[0]) * scale)), max(1, Int(Double(parts[1]) * scale)))
    }
}

/// What a speech request asked for.
struct SpeechAsk: Decodable, Sendable {
    var model: String
    var input: String
    var voice: String?
    var responseFormat: String?

    enum CodingKeys: String, CodingKey {
        case model, input, voice
        case responseFormat = "response_format"
    }
}

/// What a video request asked for (the fields the simulator reads).
struct VideoAsk: Decodable, Sendable {
    var model: String
    var prompt: String
    var seconds: String?
    var size: String?
}

/// The OpenAI-shaped answers of the task endpoints.
enum SimulatorTaskAnswers {
    /// The largest side of a simulated image: sizes are respected in shape, not in bulk.
    static let maxImageSide = 64
    /// The length of an embedding when the request does not ask (`dimensions`).
    static let defaultDimensions = 8
    /// Seconds of speech per character of input, and the bounds of a spoken answer.
    static let speechSecondsPerCharacter = 0.06

    /// One vector per input, `dimensions` long (faults: empty, or of another length); floats or,
    /// for `encoding_format: base64`, little-endian float32 in base64 (what the OpenAI SDK asks for).
    static func embeddings(_ ask: EmbeddingsAsk, fault: SimulatorTaskFault) -> BodyPlan {
        let asked = max(1, ask.dimensions ?? defaultDimensions)
        let length = switch fault {
        case .emptyVector: 0
        case .wrongDimensions: asked + 3
        default: asked
        }
        let data: [[String: AnyEncodable]] = (0..<ask.input.count).map { index in
            let vector = (0..<length).map { Float(($0 + index) % 7 + 1) / 8 }
            let encoded: AnyEncodable = ask.encodingFormat == "base64"
                ? AnyEncodable(Data(vector.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }).base64EncodedString())
                : AnyEncodable(vector)
            return ["object": AnyEncodable("embedding"), "index": AnyEncodable(index), "embedding": encoded]
        }
        let tokens = ask.input.tokens
        return .json([
            "object": AnyEncodable("list"), "model": AnyEncodable(ask.model), "data": AnyEncodable(data),
            "usage": AnyEncodable(["prompt_tokens": tokens, "total_tokens": tokens]),
        ] as [String: AnyEncodable])
    }

    /// `n` images as `b64_json`, or as `url`s the simulator serves (`imageURL`) for `response_format: url`.
    static func images(_ ask: ImageAsk, fault: SimulatorTaskFault, imageURL: (Int, Int) -> String) -> BodyPlan {
        let (width, height) = ask.pixels
        let data: [[String: String]] = (0..<min(max(ask.n ?? 1, 1), 4)).map { _ in
            if ask.responseFormat == "url" { return ["url": imageURL(width, height)] }
            return ["b64_json": Data(png(width: width, height: height, fault: fault)).base64EncodedString()]
        }
        return .json(["created": AnyEncodable(1_767_225_600), "data": AnyEncodable(data)] as [String: AnyEncodable])
    }

    /// The image bytes, cut in half under `truncated_png`.
    static func png(width: Int, height: Int, fault: SimulatorTaskFault) -> [UInt8] {
        let png = MediaSamples.png(width: min(max(width, 1), maxImageSide), height: min(max(height, 1), maxImageSide))
        return fault == .truncatedPNG ? Array(png.prefix(png.count / 2)) : png
    }

    /// What a transcription answers for a WAV of `seconds`: `{"text"}`; `verbose_json` adds the
    /// duration; `text` is the bare text. Nil format: json.
    static func transcription(seconds: Double, format: String?) -> BodyPlan {
        let text = "A short tone of \(String(format: "%.1f", seconds)) seconds."
        switch format {
        case "text":
            return BodyPlan(format: .binary(contentType: "text/plain; charset=utf-8"), pieces: [.init(delay: 0, bytes: Array(text.utf8))])
        case "verbose_json":
            return .json(["task": AnyEncodable("transcribe"), "language": AnyEncodable("english"), "duration": AnyEncodable(seconds),
                          "text": AnyEncodable(text)] as [String: AnyEncodable])
        default:
            return .json(["text": AnyEncodable(text),
                          "usage": AnyEncodable(["type": AnyEncodable("duration"), "seconds": AnyEncodable(Int(seconds.rounded(.up)))])]
                         as [String: AnyEncodable])
        }
    }

    /// Spoken `input` as a WAV (`pcm`: the raw samples), about 0.06 s per character, 0.2–10 s;
    /// cut in half under `truncated_wav`. Other formats (mp3, opus, …) also get a WAV.
    static func speech(_ ask: SpeechAsk, fault: SimulatorTaskFault) -> BodyPlan {
        let seconds = min(max(Double(ask.input.count) * speechSecondsPerCharacter, 0.2), 10)
        var wav = MediaSamples.wav(seconds: seconds, sampleRate: 24_000)
        if fault == .truncatedWAV { wav = Array(wav.prefix(wav.count / 2)) }
        if ask.responseFormat == "pcm" { return BodyPlan(format: .binary(contentType: "audio/pcm"), pieces: [.init(delay: 0, bytes: Array(wav.dropFirst(44)))]) }
        return BodyPlan(format: .binary(contentType: "audio/wav"), pieces: [.init(delay: 0, bytes: wav)])
    }

    /// Seconds of audio in a whole WAV (checked as the probes and the gateway check speech); nil
    /// for anything else, a truncated WAV included.
    static func wavSeconds(_ bytes: [UInt8]) -> Double? {
        guard bytes.starts(with: Array("RIFF".utf8)),
              case .success(let measure) = TaskAnswers.check(.textToSpeech, body: bytes, contentType: "audio/wav") else { return nil }
        return measure.audioSeconds
    }

    /// A video job in the `/videos` shape of OpenAI's video API and OpenRouter's (`polling_url`,
    /// and `unsigned_urls` once completed, besides OpenAI's fields). `base` is `http://host/v1`.
    static func videoJob(id: String, model: String, status: String, seconds: String?, size: String?, base: String) -> BodyPlan {
        var job: [String: AnyEncodable] = [
            "id": AnyEncodable(id), "object": AnyEncodable("video"), "created_at": AnyEncodable(1_767_225_600),
            "status": AnyEncodable(status), "model": AnyEncodable(model), "progress": AnyEncodable(status == "completed" ? 100 : 0),
            "seconds": AnyEncodable(seconds ?? "4"), "size": AnyEncodable(size ?? "720x1280"), "polling_url": AnyEncodable("/v1/videos/\(id)"),
        ]
        if status == "completed" { job["unsigned_urls"] = AnyEncodable(["\(base)/videos/\(id)/content?index=0"]) }
        return .json(job)
    }
}
