import Foundation
import SwitchyardCore
import SwitchyardSimulator
import Testing

/// The gateway's task endpoints against real simulators: a multipart transcription routed by its
/// `model` field (rewritten, the file untouched), an oversized upload refused with 413 before its
/// body is read, image and vector answers that are broken inside a 200 failed over with their
/// class, audio passed through with its content type, and embeddings cut at their own 10 s.
@Suite(.serialized, .timeLimit(.minutes(3))) struct GatewayTaskTests {
    static let boundary = "sy-test-boundary-7MA4YWxk"

    /// A transcription form as the `openai` SDK sends it: the file, then `model`.
    static func transcriptionForm(model: String, audio: [UInt8]) -> [UInt8] {
        var out = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8)
        out += audio
        out += Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n\(model)\r\n--\(boundary)--\r\n".utf8)
        return out
    }

    /// Sends `head` lines and `body` bytes as one request and reads the whole answer.
    static func exchange(_ gw: GatewayTestDaemon, _ path: String, contentType: String, body: [UInt8], declaredLength: Int? = nil,
                         sendBody: Bool = true) async throws -> RawHTTP.Answer {
        try await offPool {
            let fd = try RawHTTP.connectSocket(gw.address)
            defer { close(fd) }
            let head = "POST \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: \(contentType)\r\n"
                + "Authorization: Bearer \(GatewayTestDaemon.callerToken)\r\nContent-Length: \(declaredLength ?? body.count)\r\n\r\n"
            let bytes = Array(head.utf8) + (sendBody ? body : [])
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard count > 0 else { break }
                sent += count
            }
            let data = RawHTTP.readToEnd(fd)
            let end = data.firstRange(of: Array("\r\n\r\n".utf8))?.lowerBound ?? data.count
            let lines = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
            return RawHTTP.Answer(status: status, headers: fields, body: String(decoding: data[min(data.count, end + 4)...], as: UTF8.self))
        }
    }

    @Test func aTranscriptionIsRoutedByItsModelFieldWhichIsRewrittenWhileTheFileGoesOnUnchanged() async throws {
        // The listener's JSON cap is 4 KiB; an upload has its own, larger limit.
        try await GatewayTestDaemon.run(modelExtra: ", task: speech-to-text", listenExtra: ", max_body_bytes: 4096") { gw in
            let audio = MediaSamples.wav(seconds: 0.5)
            #expect(audio.count > 4096)
            let answer = try await Self.exchange(gw, "/v1/audio/transcriptions", contentType: "multipart/form-data; boundary=\(Self.boundary)",
                                                 body: Self.transcriptionForm(model: "m", audio: audio))
            #expect(answer.status == 200, "\(answer.payload)")
            #expect(answer.headers["x-switchyard-provider"] == "a" && answer.headers["x-switchyard-upstream-model"] == "m-up")
            #expect(answer.json["text"] is String, "\(answer.payload)")
            let sent = try #require(gw.simulators["a"]!.recordedRequests.last { $0.path == "/v1/audio/transcriptions" })
            #expect(sent.body == Self.transcriptionForm(model: "m-up", audio: audio), "only the model field changed")
            #expect(sent.header("content-type") == "multipart/form-data; boundary=\(Self.boundary)")
            #expect(sent.header("authorization") == "Bearer \(GatewayTestDaemon.keys["a"]!)", "the provider's key, not the caller's token")

            // No model field: 400 in the OpenAI shape, nothing sent.
            let before = gw.simulators["a"]!.recordedRequests.count
            let noModel = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nxx\r\n--\(Self.boundary)--\r\n".utf8)
            let refused = try await Self.exchange(gw, "/v1/audio/transcriptions", contentType: "multipart/form-data; boundary=\(Self.boundary)", body: noModel)
            #expect(refused.status == 400 && (refused.json["error"] as? [String: Any])?["code"] as? String == "missing_model", "\(refused.payload)")
            let notAForm = try await Self.exchange(gw, "/v1/audio/transcriptions", contentType: "application/json", body: Array(#"{"model":"m"}"#.utf8))
            #expect(notAForm.status == 400 && (notAForm.json["error"] as? [String: Any])?["code"] as? String == "invalid_multipart")
            #expect(gw.simulators["a"]!.recordedRequests.count == before)
        }
    }

    @Test func anOversizedUploadGets413BeforeItsBodyIsRead() async throws {
        try await GatewayTestDaemon.run(gatewayYAML: "gateway: { max_upload_bytes: 65536 }", modelExtra: ", task: speech-to-text") { gw in
            // Declared 10 MiB and not one body byte sent: the answer comes anyway, so nothing was waited for or buffered.
            let declared = try await Self.exchange(gw, "/v1/audio/transcriptions", contentType: "multipart/form-data; boundary=\(Self.boundary)",
                                                   body: [], declaredLength: 10 << 20, sendBody: false)
            #expect(declared.status == 413, "\(declared.payload)")
            let error = try #require(declared.json["error"] as? [String: Any])
            #expect(error["code"] as? String == "body_too_large" && error["type"] as? String == "invalid_request_error")
            #expect((error["message"] as? String)?.contains("gateway.max_upload_bytes") == true, "\(error)")
            // Chunked (no length to refuse up front): the read stops at the limit.
            let form = Self.transcriptionForm(model: "m", audio: [UInt8](repeating: 65, count: 70_000))
            let chunked = "\(String(form.count, radix: 16))\r\n" + String(decoding: form, as: UTF8.self) + "\r\n0\r\n\r\n"
            let answer = try await RawHTTP.exchange(gw.address, "POST", "/v1/audio/transcriptions", headers: [
                "Content-Type: multipart/form-data; boundary=\(Self.boundary)", "Authorization: Bearer \(GatewayTestDaemon.callerToken)",
                "Transfer-Encoding: chunked",
            ], rawBody: chunked)
            #expect(answer.status == 413, "\(answer.payload)")
            #expect(gw.simulators.values.allSatisfy { $0.recordedRequests.allSatisfy { $0.path != "/v1/audio/transcriptions" } })
        }
    }

    /// `a` breaks its answer inside a 200; the request goes to `b` on the second attempt and `a`'s
    /// attempt is reported as `bad_response`.
    static func failsOverToB(_ gw: GatewayTestDaemon, _ behavior: SimulatorBehavior, _ path: String, _ json: String,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws -> RawHTTP.Answer {
        gw.simulators["a"]!.setBehavior(behavior)
        let before = try await Self.badResponses(gw)
        let answer = try await gw.post(path, json)
        #expect(answer.status == 200, "\(answer.payload)", sourceLocation: sourceLocation)
        #expect(answer.headers["x-switchyard-provider"] == "b", sourceLocation: sourceLocation)
        #expect(answer.headers["x-switchyard-attempts"] == "2", sourceLocation: sourceLocation)
        #expect(try await eventually(within: 10) { try await Self.badResponses(gw) == before + 1 }, "a's attempt reported as bad_response",
                sourceLocation: sourceLocation)
        return answer
    }

    static func badResponses(_ gw: GatewayTestDaemon) async throws -> Int {
        let line = try await gw.metrics().split(separator: "\n")
            .first { $0.hasPrefix(#"switchyard_report_results_total{provider="a",model="m",outcome="bad_response"}"#) }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func brokenImagesInsideA200FailOverWithTheirClass() async throws {
        try await GatewayTestDaemon.run(modelExtra: ", task: text-to-image") { gw in
            let image = #"{"model":"m","prompt":"a red square","size":"64x64","response_format":"b64_json","provider":{"order":["a","b"]}}"#
            for behavior in [SimulatorBehavior(models: ["m-up"], latencyMs: 1, fault: .garbage), Self.taskFault(.truncatedPNG)] {
                let answer = try await Self.failsOverToB(gw, behavior, "/v1/images/generations", image)
                let data = try #require((answer.json["data"] as? [[String: Any]])?.first?["b64_json"] as? String)
                #expect(Data(base64Encoded: data)?.starts(with: [0x89, 0x50, 0x4E, 0x47]) == true)
                #expect(answer.headers["content-length"] == "\(answer.body.utf8.count)", "held whole and checked")
            }
            // Pinned to the broken provider: the caller gets the reason, never the cut image.
            gw.simulators["a"]!.setBehavior(Self.taskFault(.truncatedPNG))
            let pinned = try await gw.post("/v1/images/generations", #"{"model":"m:a","prompt":"x","response_format":"b64_json"}"#)
            #expect(pinned.status == 502)
            #expect(((pinned.json["error"] as? [String: Any])?["message"] as? String)?.contains("image 0 of the answer: truncated PNG") == true, "\(pinned.payload)")
            // The report says what was wrong (never the bytes), for the operator.
            #expect(try await eventually(within: 10) {
                let provider = try await RawHTTP.exchange(.unix(path: gw.directory + "/switchyard.sock"), "GET", "/v1/providers/a")
                return ((provider.json["targets"] as? [[String: Any]])?.first?["last_error_message"] as? String)?
                    .contains("gateway: image 0 of the answer: truncated PNG") == true
            })
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_requests_total{endpoint="images_generations",result="ok"} 2"#))
            // A chat request for an image model: 404 naming the task the model has.
            let chat = try await gw.post("/v1/chat/completions", #"{"model":"m","messages":[]}"#)
            #expect(chat.status == 404 && ((chat.json["error"] as? [String: Any])?["message"] as? String)?.contains("its targets do: text-to-image") == true,
                    "\(chat.payload)")
        }
    }

    /// An image answer over `gateway.max_answer_bytes` is not held past it: a failed attempt
    /// (`body_too_large`), never an unbounded buffer.
    @Test func anAnswerOverMaxAnswerBytesIsAFailedAttempt() async throws {
        try await GatewayTestDaemon.run(gatewayYAML: "gateway: { max_answer_bytes: 2000 }", modelExtra: ", task: text-to-image") { gw in
            let answer = try await gw.post("/v1/images/generations", #"{"model":"m","prompt":"x","size":"64x64","response_format":"b64_json"}"#)
            #expect(answer.status == 502, "\(answer.payload)")
            #expect(((answer.json["error"] as? [String: Any])?["message"] as? String)?.contains("an answer over 2000 bytes (gateway.max_answer_bytes)") == true,
                    "\(answer.payload)")
            #expect(try await eventually(within: 10) {
                try await gw.metrics().contains(#"switchyard_report_results_total{provider="a",model="m",outcome="body_too_large"} 1"#)
            })
        }
    }

    @Test func emptyAndWrongSizeVectorsInsideA200FailOverWithTheirClass() async throws {
        try await GatewayTestDaemon.run(modelExtra: ", task: embeddings") { gw in
            let vectors = #"{"model":"m","input":"hello","dimensions":8,"provider":{"order":["a","b"]}}"#
            for fault in [SimulatorTaskFault.emptyVector, .wrongDimensions] {
                let answer = try await Self.failsOverToB(gw, Self.taskFault(fault), "/v1/embeddings", vectors)
                #expect(((answer.json["data"] as? [[String: Any]])?.first?["embedding"] as? [Any])?.count == 8)
            }
            #expect(try await gw.metrics().contains(#"switchyard_gateway_requests_total{endpoint="embeddings",result="ok"} 2"#))
        }
    }

    @Test func speechIsPassedThroughWithItsContentTypeAndACutWAVFailsOver() async throws {
        try await GatewayTestDaemon.run(modelExtra: ", task: text-to-speech") { gw in
            let speech = #"{"model":"m","input":"hello","voice":"alloy","response_format":"wav","provider":{"order":["a","b"]}}"#
            let answer = try await gw.post("/v1/audio/speech", speech)
            #expect(answer.status == 200 && answer.headers["content-type"] == "audio/wav", "\(answer.headers)")
            #expect(answer.body.hasPrefix("RIFF"))
            let failedOver = try await Self.failsOverToB(gw, Self.taskFault(.truncatedWAV), "/v1/audio/speech", speech)
            #expect(failedOver.body.hasPrefix("RIFF"))
        }
    }

    /// The embeddings default (10 s) cuts a 12 s attempt and `b` answers; on e8c2fa1 the attempt
    /// got 30 s and `a` answered after 12 s.
    @Test func embeddingsAreCutAtTheirOwnTenSecondDefault() async throws {
        try await GatewayTestDaemon.run(modelExtra: ", task: embeddings") { gw in
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 12_000))
            let started = ContinuousClock.now
            let answer = try await gw.post("/v1/embeddings", #"{"model":"m","input":"hello","provider":{"order":["a","b"]}}"#)
            let waited = ContinuousClock.now - started
            #expect(answer.status == 200 && answer.headers["x-switchyard-provider"] == "b", "\(answer.payload)")
            #expect(answer.headers["x-switchyard-attempts"] == "2")
            #expect(waited >= .seconds(10) && waited < .seconds(12), "\(waited)")
            #expect(try await eventually(within: 10) {
                try await gw.metrics().contains(#"switchyard_report_results_total{provider="a",model="m",outcome="timeout"} 1"#)
            })
        }
    }

    static func taskFault(_ fault: SimulatorTaskFault) -> SimulatorBehavior {
        var behavior = SimulatorBehavior(models: ["m-up"], latencyMs: 1)
        behavior.taskFault = fault
        return behavior
    }
}
