import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The non-chat routes of Hugging Face's router in the shapes `huggingface_hub`'s
/// `InferenceClient(provider=...)` sends them (checked against huggingface_hub 2.4):
///
/// - `hf-inference`: `POST /hf-inference/models/{id}` answers text-to-image (JSON `inputs` →
///   PNG bytes), text-to-speech (JSON `inputs` → WAV bytes) and automatic-speech-recognition
///   (the raw audio → `{"text"}`), which one by the model's task in the catalog;
///   `POST /hf-inference/models/{id}/pipeline/feature-extraction` answers one vector per input.
/// - `together`: `POST /together/v1/images/generations` (`b64_json`), `/together/v1/embeddings`,
///   `/together/v1/audio/speech` (WAV bytes) and `POST /together/v2/videos`, a job answered as
///   completed at once whose `outputs.video_url` (`GET /together/v2/videos/{id}/content`) is a small MP4.
///
/// Latency, error rate and faults apply as on the chat routes. A vector has the catalog model's
/// fixed `dimensions` when it has one (a model that ignores the request), else the requested size, else 8.
extension ProviderSimulator {
    /// Partner providers whose routes are served under `/{partner}/...`.
    public static let hubPartners = ["hf-inference", "together"]

    func addHubTaskRoutes(to router: Router<SimulatorContext>) {
        router.post("/hf-inference/models/:org/:name") { request, context in
            try await self.hfInference(request, context, pipeline: nil)
        }
        router.post("/hf-inference/models/:org/:name/pipeline/:task") { request, context in
            try await self.hfInference(request, context, pipeline: context.parameters.get("task"))
        }
        router.post("/together/v1/images/generations") { request, context in
            let ask = try await self.hubAsk(request)
            return try await self.hubAnswer(context, ask.model, partner: "together") { _ in
                .json(["created": AnyEncodable(1_776_837_885),
                       "data": AnyEncodable([["b64_json": HubTaskMedia.png.base64EncodedString()]])] as [String: AnyEncodable])
            }
        }
        router.post("/together/v1/embeddings") { request, context in
            let ask = try await self.hubAsk(request)
            let vectors = self.vectors(for: ask, inputKey: "input")
            return try await self.hubAnswer(context, ask.model, partner: "together") { _ in
                .json(["object": AnyEncodable("list"), "model": AnyEncodable(ask.model),
                       "data": AnyEncodable(vectors.enumerated().map { index, vector in
                           ["object": AnyEncodable("embedding"), "index": AnyEncodable(index), "embedding": AnyEncodable(vector)]
                       })] as [String: AnyEncodable])
            }
        }
        router.post("/together/v1/audio/speech") { request, context in
            let ask = try await self.hubAsk(request)
            return try await self.hubAnswer(context, ask.model, partner: "together", contentType: "audio/wav") { _ in
                HubTaskMedia.plan(HubTaskMedia.wav(seconds: 0.5))
            }
        }
        router.post("/together/v2/videos") { request, context in
            let ask = try await self.hubAsk(request)
            let job = Self.videoJob(id: "video-sim-1", host: request.head.authority)
            return try await self.hubAnswer(context, ask.model, partner: "together") { _ in .json(job) }
        }
        router.get("/together/v2/videos/:id") { request, context in
            let job = Self.videoJob(id: context.parameters.get("id") ?? "video-sim-1", host: request.head.authority)
            return try await self.answer(context) { _, _ in .json(job) }
        }
        router.get("/_sim/requests") { _, _ in
            SimulatorBody.response(.json(self.recordedRequests.map(RecordedRequestSummary.init)), behavior: SimulatorBehavior(models: []))
        }
        router.get("/together/v2/videos/:id/content") { _, context in
            var response = try await self.answer(context) { _, _ in HubTaskMedia.plan(HubTaskMedia.mp4) }
            if response.status == .ok { response.headers[.contentType] = "video/mp4" }
            return response
        }
    }

    /// One `hf-inference` request: the model is in the path, the task is the catalog's (or the pipeline's).
    private func hfInference(_ request: Request, _ context: SimulatorContext, pipeline: String?) async throws -> Response {
        let id = "\(context.parameters.get("org") ?? "")/\(context.parameters.get("name") ?? "")"
        let raw = try await request.body.collect(upTo: 8 << 20)
        record(request, raw)
        let isJSON = request.headers[.contentType]?.hasPrefix("application/json") ?? false
        let json = isJSON ? (try? JSONSerialization.jsonObject(with: Data(buffer: raw))) as? [String: Any] : nil
        let task = pipeline ?? currentCatalog?.models.first { $0.id == id }?.task ?? (isJSON ? "text-to-image" : "automatic-speech-recognition")
        switch task {
        case "feature-extraction", "sentence-similarity":
            guard let json else { return errorResponse(.badRequest, "body is not a feature-extraction request") }
            let vectors = vectors(for: HubAsk(model: id, fields: json), inputKey: "inputs")
            return try await hubAnswer(context, id, partner: "hf-inference") { _ in .json(vectors) }
        case "automatic-speech-recognition":
            guard !isJSON, raw.readableBytes > 0 else { return errorResponse(.badRequest, "send the audio as the body") }
            let seconds = HubTaskMedia.wavSeconds(Array(raw.readableBytesView))
            return try await hubAnswer(context, id, partner: "hf-inference") { _ in
                .json(["text": AnyEncodable("hello from the simulator"),
                       "audio_seconds": AnyEncodable(seconds ?? 0)] as [String: AnyEncodable])
            }
        case "text-to-speech":
            guard json?["inputs"] is String else { return errorResponse(.badRequest, "body is not a text-to-speech request") }
            return try await hubAnswer(context, id, partner: "hf-inference", contentType: "audio/wav") { _ in
                HubTaskMedia.plan(HubTaskMedia.wav(seconds: 0.5))
            }
        default:
            guard json?["inputs"] is String else { return errorResponse(.badRequest, "body is not a text-to-image request") }
            return try await hubAnswer(context, id, partner: "hf-inference", contentType: "image/png") { _ in
                HubTaskMedia.plan(HubTaskMedia.png)
            }
        }
    }

    /// A partner's JSON request, recorded like the OpenAI routes.
    private func hubAsk(_ request: Request) async throws -> HubAsk {
        let body = try await request.body.collect(upTo: 1 << 20)
        record(request, body)
        let fields = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        return HubAsk(model: fields["model"] as? String ?? "", fields: fields)
    }

    /// The shared latency and faults for `model` served through `partner`, with the answer's content type.
    private func hubAnswer(_ context: SimulatorContext, _ model: String, partner: String, contentType: String? = nil,
                           _ plan: (SimulatorBehavior) -> BodyPlan) async throws -> Response {
        var response = try await answer(context, model: model.contains(":") ? model : "\(model):\(partner)") { behavior, _ in plan(behavior) }
        if let contentType, response.status == .ok { response.headers[.contentType] = contentType }
        return response
    }

    /// One vector per input (a string or a list of strings) of the model's fixed size, else the requested one.
    private func vectors(for ask: HubAsk, inputKey: String) -> [[Double]] {
        let inputs = (ask.fields[inputKey] as? [Any])?.count ?? 1
        let fixed = currentCatalog?.models.first { $0.id == ask.model }?.dimensions
        let size = max(0, fixed ?? (ask.fields["dimensions"] as? Int) ?? 8)
        return (0..<inputs).map { row in
            (0..<size).map { (column: Int) -> Double in
                let step: Int = (row + 1) * (column + 1) % 97
                return Double(step) / 97
            }
        }
    }

    private static func videoJob(id: String, host: String?) -> [String: AnyEncodable] {
        let url = "http://\(host ?? "127.0.0.1")/together/v2/videos/\(id)/content"
        return ["id": AnyEncodable(id), "object": AnyEncodable("video"), "status": AnyEncodable("completed"),
                "outputs": AnyEncodable(["video_url": url])]
    }
}

/// What `GET /_sim/requests` tells of one recorded POST: its path, its JSON body (null for other
/// bodies) and no more of its `Authorization` than the first 10 characters of the token, enough
/// for a test to tell whose key arrived without a whole key ever leaving the simulator.
struct RecordedRequestSummary: Encodable, Sendable {
    var path: String
    var body: JSONValue?
    var authorizationPrefix: String?

    init(_ request: RecordedRequest) {
        path = request.path
        body = try? JSONDecoder().decode(JSONValue.self, from: Data(request.body))
        authorizationPrefix = request.header("authorization").map { value in
            let token = value.hasPrefix("Bearer ") ? String(value.dropFirst(7)) : value
            return String(token.prefix(10))
        }
    }

    enum CodingKeys: String, CodingKey {
        case path, body
        case authorizationPrefix = "authorization_prefix"
    }
}

/// Any JSON value, to echo a recorded body back.
indirect enum JSONValue: Codable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .number(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }
}

/// A partner request's model and its JSON fields.
private struct HubAsk: @unchecked Sendable {
    var model: String
    var fields: [String: Any]
}

/// Small real media the simulator answers with: an 8×8 PNG, a WAV tone, an MP4's boxes.
enum HubTaskMedia {
    /// An 8×8 RGB PNG (a colour gradient), 165 bytes.
    static let png = Data(base64Encoded: """
        iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAbElEQVR42hXNQRUAUQhCUaMYhShGeVGIQhSizB+XXA7ODDtouIHBQ4YOM8suWm5h8ZKl+0CskDiBsIioHhx76LiDw0eO3oN/4FVf+J8h0PduzBqZ8x/bxNQPwgaFy192SGgelC0q13/CJaXlA8Z7WAFXOTbyAAAAAElFTkSuQmCC
        """.replacingOccurrences(of: "\n", with: ""))!

    /// 16-bit mono PCM at 16 kHz: a 440 Hz tone of `seconds`.
    static func wav(seconds: Double, sampleRate: Int = 16_000) -> Data {
        let samples = Int(Double(sampleRate) * seconds)
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8))
        append(UInt32(36 + samples * 2))
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        append(UInt32(16)); append(UInt16(1)); append(UInt16(1))
        append(UInt32(sampleRate)); append(UInt32(sampleRate * 2)); append(UInt16(2)); append(UInt16(16))
        data.append(contentsOf: Array("data".utf8))
        append(UInt32(samples * 2))
        for i in 0..<samples {
            append(Int16(8000 * sin(2 * Double.pi * 440 * Double(i) / Double(sampleRate))))
        }
        return data
    }

    /// The duration of a PCM WAV, nil when `bytes` is not one.
    static func wavSeconds(_ bytes: [UInt8]) -> Double? {
        guard bytes.count >= 44, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else { return nil }
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let byteRate = u32(28)
        return byteRate > 0 ? Double(u32(40)) / Double(byteRate) : nil
    }

    /// An ISO base media file: an `ftyp` box (isom) and a small `mdat` box.
    static let mp4: Data = {
        var data = Data([0, 0, 0, 24]) + Data("ftypisom".utf8) + Data([0, 0, 2, 0]) + Data("isommp41".utf8)
        data += Data([0, 0, 0, 24]) + Data("mdat".utf8) + Data((0..<16).map { UInt8($0) })
        return data
    }()

    static func plan(_ bytes: Data) -> BodyPlan { BodyPlan(format: .json, pieces: [.init(delay: 0, bytes: Array(bytes))]) }
}
