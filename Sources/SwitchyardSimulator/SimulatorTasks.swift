import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import SwitchyardCore

/// The OpenAI-shaped task endpoints: embeddings, image generation, transcription, speech and
/// video (the `/videos` job shape: create, poll, download, as OpenRouter serves it at
/// `/api/v1/videos` and OpenAI's video API introduced it; JSON or multipart bodies). Latency, errors and the body faults
/// of `SimulatorBehavior` apply as for chat; `task_fault` breaks the media inside a 200.
extension ProviderSimulator {
    /// The largest upload `POST /v1/audio/transcriptions` takes (OpenAI's 25 MB); more is 413.
    static let maxUploadBytes = 25 << 20

    func addTaskRoutes(to router: Router<SimulatorContext>) {
        router.post("/v1/embeddings") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.record(request, body)
            guard let ask = try? JSONDecoder().decode(EmbeddingsAsk.self, from: Data(buffer: body)) else {
                return self.errorResponse(.badRequest, "body is not an embeddings request")
            }
            return try await self.answer(context, model: ask.model) { behavior, _ in
                SimulatorTaskAnswers.embeddings(ask, fault: behavior.taskFault)
            }
        }
        router.post("/v1/images/generations") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.record(request, body)
            guard let ask = try? JSONDecoder().decode(ImageAsk.self, from: Data(buffer: body)) else {
                return self.errorResponse(.badRequest, "body is not an image generation request")
            }
            let host = request.head.authority ?? "127.0.0.1"
            return try await self.answer(context, model: ask.model) { behavior, _ in
                SimulatorTaskAnswers.images(ask, fault: behavior.taskFault) { "http://\(host)/_sim/media/image.png?width=\($0)&height=\($1)" }
            }
        }
        router.get("/_sim/media/image.png") { request, _ in
            let query = request.uri.queryParameters
            let png = SimulatorTaskAnswers.png(width: query.get("width", as: Int.self) ?? 64, height: query.get("height", as: Int.self) ?? 64,
                                               fault: self.currentBehavior.taskFault)
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.post("/v1/audio/transcriptions") { request, context in
            guard let body = try await self.collectUpload(request) else {
                return self.errorResponse(.contentTooLarge, "upload larger than \(Self.maxUploadBytes) bytes")
            }
            self.record(request, body)
            guard let boundary = MultipartForm.boundary(contentType: request.headers[.contentType]),
                  let form = MultipartForm.parse(Array(body.readableBytesView), boundary: boundary),
                  let model = form["model"]?.text, let file = form["file"] else {
                return self.errorResponse(.badRequest, "body is not a multipart/form-data transcription request with model and file")
            }
            guard let seconds = SimulatorTaskAnswers.wavSeconds(file.data) else {
                return self.errorResponse(.badRequest, "file is not a WAV (RIFF/WAVE with fmt and data chunks)")
            }
            return try await self.answer(context, model: model) { _, _ in
                SimulatorTaskAnswers.transcription(seconds: seconds, format: form["response_format"]?.text)
            }
        }
        router.post("/v1/audio/speech") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.record(request, body)
            guard let ask = try? JSONDecoder().decode(SpeechAsk.self, from: Data(buffer: body)) else {
                return self.errorResponse(.badRequest, "body is not a speech request")
            }
            return try await self.answer(context, model: ask.model) { behavior, _ in SimulatorTaskAnswers.speech(ask, fault: behavior.taskFault) }
        }
        addVideoRoutes(to: router)
    }

    private func addVideoRoutes(to router: Router<SimulatorContext>) {
        router.post("/v1/videos") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.record(request, body)
            guard let ask = Self.videoAsk(body, contentType: request.headers[.contentType]) else {
                return self.errorResponse(.badRequest, "body is not a video request (JSON or multipart with model and prompt)")
            }
            let id = self.videoJobs.add(ask)
            let base = "http://\(request.head.authority ?? "127.0.0.1")/v1"
            return try await self.answer(context, model: ask.model) { _, _ in
                SimulatorTaskAnswers.videoJob(id: id, model: ask.model, status: "in_progress", seconds: ask.seconds, size: ask.size, base: base)
            }
        }
        router.get("/v1/videos/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            guard let ask = self.videoJobs[id] else { return self.errorResponse(.notFound, "no video '\(id)'") }
            let base = "http://\(request.head.authority ?? "127.0.0.1")/v1"
            return SimulatorBody.response(SimulatorTaskAnswers.videoJob(id: id, model: ask.model, status: "completed", seconds: ask.seconds, size: ask.size,
                                                                        base: base), behavior: self.currentBehavior)
        }
        router.get("/v1/videos/:id/content") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard self.videoJobs[id] != nil else { return self.errorResponse(.notFound, "no video '\(id)'") }
            return SimulatorBody.response(BodyPlan(format: .binary(contentType: "video/mp4"), pieces: [.init(delay: 0, bytes: MediaSamples.mp4())]),
                                          behavior: self.currentBehavior)
        }
    }

    /// The body, or nil when it is larger than `maxUploadBytes`.
    private func collectUpload(_ request: Request) async throws -> ByteBuffer? {
        do {
            return try await request.body.collect(upTo: Self.maxUploadBytes)
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    private static func videoAsk(_ body: ByteBuffer, contentType: String?) -> VideoAsk? {
        if let boundary = MultipartForm.boundary(contentType: contentType) {
            guard let form = MultipartForm.parse(Array(body.readableBytesView), boundary: boundary),
                  let model = form["model"]?.text, let prompt = form["prompt"]?.text else { return nil }
            return VideoAsk(model: model, prompt: prompt, seconds: form["seconds"]?.text, size: form["size"]?.text)
        }
        return try? JSONDecoder().decode(VideoAsk.self, from: Data(buffer: body))
    }
}

/// The video jobs a simulator accepted, newest kept (at most 64), so retrieve and download find them.
final class SimulatorVideoJobs: Sendable {
    private let jobs = Mutex<(next: Int, byID: [String: VideoAsk], order: [String])>((1, [:], []))

    /// Keeps `ask` and returns its new id.
    func add(_ ask: VideoAsk) -> String {
        jobs.withLock { state in
            let id = "video_sim_\(state.next)"
            state.next += 1
            state.byID[id] = ask
            state.order.append(id)
            if state.order.count > 64 { state.byID[state.order.removeFirst()] = nil }
            return id
        }
    }

    subscript(id: String) -> VideoAsk? { jobs.withLock { $0.byID[id] } }
}
