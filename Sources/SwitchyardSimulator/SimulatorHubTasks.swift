import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore

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
/// Latency, error rate and faults apply as on the chat routes, and the task faults as on the
/// OpenAI-shaped ones (`truncated_png`, `truncated_wav`, `empty_vector`, `wrong_dimensions`). A vector
/// has the catalog model's fixed `dimensions` when it has one (a model that ignores the request),
/// else the requested size, else 8. Media come from `MediaSamples`.
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
            return try await self.hubAnswer(context, ask.model, partner: "together") { behavior in
                .json(["created": AnyEncodable(1_776_837_885),
                       "data": AnyEncodable([["b64_json": Data(Self.hubImage(behavior)).base64EncodedString()]])] as [String: AnyEncodable])
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
            return try await self.hubAnswer(context, ask.model, partner: "together") { Self.hubSpeech($0) }
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
            try await self.answer(context) { _, _ in BodyPlan(format: .binary(contentType: "video/mp4"), pieces: [.init(delay: 0, bytes: MediaSamples.mp4())]) }
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
            let seconds = SimulatorTaskAnswers.wavSeconds(Array(raw.readableBytesView))
            return try await hubAnswer(context, id, partner: "hf-inference") { _ in
                .json(["text": AnyEncodable("hello from the simulator"),
                       "audio_seconds": AnyEncodable(seconds ?? 0)] as [String: AnyEncodable])
            }
        case "text-to-speech":
            guard json?["inputs"] is String else { return errorResponse(.badRequest, "body is not a text-to-speech request") }
            return try await hubAnswer(context, id, partner: "hf-inference") { Self.hubSpeech($0) }
        default:
            guard json?["inputs"] is String else { return errorResponse(.badRequest, "body is not a text-to-image request") }
            return try await hubAnswer(context, id, partner: "hf-inference") { behavior in
                BodyPlan(format: .binary(contentType: "image/png"), pieces: [.init(delay: 0, bytes: Self.hubImage(behavior))])
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

    /// The shared latency and faults for `model` served through `partner`.
    private func hubAnswer(_ context: SimulatorContext, _ model: String, partner: String,
                           _ plan: (SimulatorBehavior) -> BodyPlan) async throws -> Response {
        try await answer(context, model: model.contains(":") ? model : "\(model):\(partner)") { behavior, _ in plan(behavior) }
    }

    /// An 8×8 PNG, cut in half under the `truncated_png` task fault.
    private static func hubImage(_ behavior: SimulatorBehavior) -> [UInt8] {
        SimulatorTaskAnswers.png(width: 8, height: 8, fault: behavior.taskFault)
    }

    /// Half a second of speech as a WAV, cut in half under `truncated_wav`.
    private static func hubSpeech(_ behavior: SimulatorBehavior) -> BodyPlan {
        let wav = MediaSamples.wav(seconds: 0.5)
        let bytes = behavior.taskFault == .truncatedWAV ? Array(wav.prefix(wav.count / 2)) : wav
        return BodyPlan(format: .binary(contentType: "audio/wav"), pieces: [.init(delay: 0, bytes: bytes)])
    }

    /// One vector per input (a string or a list of strings) of the model's fixed size, else the requested one.
    private func vectors(for ask: HubAsk, inputKey: String) -> [[Double]] {
        let inputs = (ask.fields[inputKey] as? [Any])?.count ?? 1
        let fixed = currentCatalog?.models.first { $0.id == ask.model }?.dimensions
        let asked = max(1, fixed ?? (ask.fields["dimensions"] as? Int) ?? SimulatorTaskAnswers.defaultDimensions)
        let size = switch currentBehavior.taskFault {
        case .emptyVector: 0
        case .wrongDimensions: asked + 3
        default: asked
        }
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
