import Foundation
@testable import SwitchyardProbe
import SwitchyardCore
import SwitchyardHTTP
@testable import SwitchyardSimulator
import Testing

/// The simulator's OpenAI-shaped task endpoints, called through the real libcurl engine on loopback:
/// the media they answer decode, sizes are respected, and each task fault breaks what it says.
@Suite(.timeLimit(.minutes(2))) struct SimulatorTaskTests {
    private static func behavior(_ fault: SimulatorBehavior.Fault = .none, task: SimulatorTaskFault = .none) -> SimulatorBehavior {
        var behavior = SimulatorBehavior(models: ["m"], latencyMs: 0, fault: fault)
        behavior.taskFault = task
        return behavior
    }

    /// POSTs `json` to `path` on a fresh simulator with `behavior`; the status and body.
    private static func post(_ path: String, _ json: String, _ behavior: SimulatorBehavior) async throws -> HTTPTransferResult {
        try await withSimulatorAndEngine(ProviderSimulator(name: "sim", behavior: behavior)) { port, engine in
            await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)\(path)", method: .post, headers: ["Content-Type: application/json"],
                                             body: Array(json.utf8), connectTimeoutSeconds: 1, timeoutSeconds: 5, maxBodyBytes: 8 << 20))
        }
    }

    private static func object(_ body: [UInt8]) -> [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }

    private static func vectors(_ body: [UInt8]) -> [[Double]] {
        (object(body)?["data"] as? [[String: Any]] ?? []).map { ($0["embedding"] as? [NSNumber] ?? []).map(\.doubleValue) }
    }

    @Test func embeddingsAnswerOneVectorPerInputOfTheAskedDimensions() async throws {
        let plain = try await Self.post("/v1/embeddings", #"{"model":"m","input":"hello"}"#, Self.behavior())
        #expect(plain.status == 200)
        #expect(Self.vectors(plain.body).map(\.count) == [SimulatorTaskAnswers.defaultDimensions])
        let sized = try await Self.post("/v1/embeddings", #"{"model":"m","input":["a","b","c"],"dimensions":16}"#, Self.behavior())
        #expect(Self.vectors(sized.body).map(\.count) == [16, 16, 16])
        #expect((Self.object(sized.body)?["usage"] as? [String: Int])?["prompt_tokens"] == 3)
    }

    @Test func base64EmbeddingsAreLittleEndianFloat32() async throws {
        let result = try await Self.post("/v1/embeddings", #"{"model":"m","input":"x","dimensions":4,"encoding_format":"base64"}"#, Self.behavior())
        let text = try #require((Self.object(result.body)?["data"] as? [[String: Any]])?.first?["embedding"] as? String)
        let bytes = try #require(Data(base64Encoded: text))
        let floats = stride(from: 0, to: bytes.count, by: 4).map { Float(bitPattern: bytes[$0..<$0 + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }) }
        #expect(floats == [0.125, 0.25, 0.375, 0.5])
    }

    @Test func vectorFaultsAnswerEmptyOrWrongLengthVectors() async throws {
        let empty = try await Self.post("/v1/embeddings", #"{"model":"m","input":"x","dimensions":4}"#, Self.behavior(task: .emptyVector))
        #expect(empty.status == 200 && Self.vectors(empty.body) == [[]])
        let wrong = try await Self.post("/v1/embeddings", #"{"model":"m","input":"x","dimensions":4}"#, Self.behavior(task: .wrongDimensions))
        #expect(Self.vectors(wrong.body).map(\.count) == [7])
    }

    @Test func anUnknownModelIs404AndABadBodyIs400() async throws {
        let unknown = try await Self.post("/v1/images/generations", #"{"model":"other","prompt":"p"}"#, Self.behavior())
        #expect(unknown.status == 404)
        let bad = try await Self.post("/v1/audio/speech", #"{"model":"m"}"#, Self.behavior())
        #expect(bad.status == 400)
    }

    @Test func imagesComeAsARealPNGOfTheAskedShape() async throws {
        let result = try await Self.post("/v1/images/generations", #"{"model":"m","prompt":"p","size":"256x128","response_format":"b64_json"}"#, Self.behavior())
        let b64 = try #require((Self.object(result.body)?["data"] as? [[String: String]])?.first?["b64_json"])
        let png = try #require(Data(base64Encoded: b64).map(Array.init))
        #expect(try runPython(Self.pngSize, input: png) == "64 32")
    }

    @Test func aURLImageIsServedByTheSimulator() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let png = try await withSimulatorAndEngine(simulator) { port, engine in
            let made = await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/images/generations", method: .post,
                                                        body: Array(#"{"model":"m","prompt":"p","size":"32x32","response_format":"url"}"#.utf8),
                                                        connectTimeoutSeconds: 1, timeoutSeconds: 5))
            let url = (Self.object(made.body)?["data"] as? [[String: String]])?.first?["url"] ?? ""
            #expect(url.hasPrefix("http://127.0.0.1:\(port)/"))
            let fetched = await engine.perform(HTTPRequest(url: url, connectTimeoutSeconds: 1, timeoutSeconds: 5))
            #expect(fetched.status == 200)
            return fetched.body
        }
        #expect(try runPython(Self.pngSize, input: png) == "32 32")
    }

    @Test func aTruncatedPNGIsHalfAPNG() async throws {
        let result = try await Self.post("/v1/images/generations", #"{"model":"m","prompt":"p","size":"16x16"}"#, Self.behavior(task: .truncatedPNG))
        let b64 = try #require((Self.object(result.body)?["data"] as? [[String: String]])?.first?["b64_json"])
        let png = try #require(Data(base64Encoded: b64).map(Array.init))
        #expect(png.count == MediaSamples.png(width: 16, height: 16).count / 2)
        #expect(try runPython(Self.pngSize, input: png).hasPrefix("python failed"))
    }

    @Test func garbageIsNotJSON() async throws {
        let result = try await Self.post("/v1/images/generations", #"{"model":"m","prompt":"p"}"#, Self.behavior(.garbage))
        #expect(result.status == 200 && Self.object(result.body) == nil)
    }

    @Test func speechIsARealWAVAndTheFaultCutsIt() async throws {
        let result = try await Self.post("/v1/audio/speech", #"{"model":"m","input":"Hello there, world.","voice":"alloy","response_format":"wav"}"#, Self.behavior())
        #expect(result.status == 200)
        let out = try runPython("import sys, wave; w = wave.open(sys.argv[1]); print(w.getframerate(), round(w.getnframes() / w.getframerate(), 2))",
                                input: result.body)
        #expect(out == "24000 1.14")
        #expect(SimulatorTaskAnswers.wavSeconds(result.body) != nil)
        let cut = try await Self.post("/v1/audio/speech", #"{"model":"m","input":"Hello"}"#, Self.behavior(task: .truncatedWAV))
        #expect(cut.status == 200 && !cut.body.isEmpty && SimulatorTaskAnswers.wavSeconds(cut.body) == nil)
    }

    @Test func transcriptionsReadAMultipartWAVAndRefuseOtherFiles() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let (ok, notWAV, json) = try await withSimulatorAndEngine(simulator) { port, engine in
            func upload(_ file: [UInt8], format: String = "json") async -> HTTPTransferResult {
                let form = MultipartFormBody(fields: [("model", "m"), ("response_format", format)], fileField: "file",
                                             filename: "clip.wav", fileType: "audio/wav", file: file)!
                return await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/audio/transcriptions", method: .post,
                                                        headers: ["Content-Type: \(form.contentType)"], body: form.bytes,
                                                        connectTimeoutSeconds: 1, timeoutSeconds: 5))
            }
            return (await upload(MediaSamples.wav(seconds: 2)), await upload(Array("ID3 an mp3".utf8)), await upload(MediaSamples.wav(seconds: 1), format: "verbose_json"))
        }
        #expect(ok.status == 200, "\(String(decoding: ok.body, as: UTF8.self))")
        #expect((Self.object(ok.body)?["text"] as? String)?.isEmpty == false)
        #expect(notWAV.status == 400)
        #expect(Self.object(json.body)?["duration"] as? Double == 1)
    }

    @Test func anUploadOverTheLimitIs413() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let result = try await withSimulatorAndEngine(simulator) { port, engine in
            await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/audio/transcriptions", method: .post,
                                             headers: ["Content-Type: multipart/form-data; boundary=x"],
                                             body: [UInt8](repeating: 65, count: ProviderSimulator.maxUploadBytes + 1), connectTimeoutSeconds: 1, timeoutSeconds: 10))
        }
        #expect(result.status == 413)
    }

    @Test func aVideoIsCreatedRetrievedAndDownloaded() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: Self.behavior())
        let (created, retrieved, content) = try await withSimulatorAndEngine(simulator) { port, engine in
            let base = "http://127.0.0.1:\(port)/v1/videos"
            let created = await engine.perform(HTTPRequest(url: base, method: .post, body: Array(#"{"model":"m","prompt":"a cat","seconds":"4"}"#.utf8),
                                                           connectTimeoutSeconds: 1, timeoutSeconds: 5))
            let id = Self.object(created.body)?["id"] as? String ?? "none"
            let retrieved = await engine.perform(HTTPRequest(url: "\(base)/\(id)", connectTimeoutSeconds: 1, timeoutSeconds: 5))
            let content = await engine.perform(HTTPRequest(url: "\(base)/\(id)/content", connectTimeoutSeconds: 1, timeoutSeconds: 5))
            return (created, retrieved, content)
        }
        #expect(Self.object(created.body)?["status"] as? String == "in_progress")
        #expect(Self.object(retrieved.body)?["status"] as? String == "completed")
        #expect((Self.object(retrieved.body)?["unsigned_urls"] as? [String])?.first?.hasSuffix("/content?index=0") == true)
        #expect(content.status == 200 && Array(content.body.prefix(12).dropFirst(4)) == Array("ftypisom".utf8))
    }

    @Test func aFormIsParsedBackAsItWasBuilt() throws {
        let form = try #require(MultipartFormBody(fields: [("model", "m")], fileField: "file", filename: "a.wav", fileType: "audio/wav", file: [1, 2, 13, 10, 3]))
        let boundary = try #require(MultipartForm.boundary(contentType: form.contentType))
        let parsed = try #require(MultipartForm.parse(form.bytes, boundary: boundary))
        #expect(parsed["model"]?.text == "m")
        #expect(parsed["file"]?.data == [1, 2, 13, 10, 3] && parsed["file"]?.filename == "a.wav")
        #expect(MultipartForm.parse(Array(form.bytes.dropLast(8)), boundary: boundary) == nil)
        let wav = try #require(MultipartFormBody(fields: [("model", "m"), ("response_format", "json")], fileField: "file", filename: "clip.wav",
                                                 fileType: "audio/wav", file: MediaSamples.wav(seconds: 2)))
        #expect(MultipartForm.parse(wav.bytes, boundary: boundary)?["file"]?.data == MediaSamples.wav(seconds: 2))
    }

    private static let pngSize = """
    import sys, struct, zlib
    d = open(sys.argv[1], 'rb').read()
    w, h = struct.unpack('>II', d[16:24])
    n = struct.unpack('>I', d[33:37])[0]
    assert len(zlib.decompress(d[41:41 + n])) == h * (1 + 3 * w)
    print(w, h)
    """
}
