import Foundation
import SwitchyardCore
import Testing

/// `gateway.upload_budget_bytes`: the bytes all uploads in flight hold together. An upload that
/// would cross it gets 503 with Retry-After in the OpenAI shape, before its body is read when it
/// declares its length, as soon as it crosses when chunked; a finished upload gives its bytes back.
@Suite(.serialized, .timeLimit(.minutes(3))) struct GatewayUploadBudgetTests {
    static let path = "/v1/audio/transcriptions"
    static let formType = "multipart/form-data; boundary=\(GatewayTaskTests.boundary)"

    /// `switchyard_gateway_upload_held_bytes` now.
    static func held(_ gw: GatewayTestDaemon) async throws -> Int? {
        try await gw.series("switchyard_gateway_upload_held_bytes").map { Int($0) }
    }

    static func expectOverBudget(_ answer: RawHTTP.Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == 503, "\(answer.payload)", sourceLocation: sourceLocation)
        #expect(answer.headers["retry-after"] == "1", sourceLocation: sourceLocation)
        let error = answer.json["error"] as? [String: Any]
        #expect(error?["code"] as? String == "uploads_over_budget" && error?["type"] as? String == "server_error", "\(answer.payload)",
                sourceLocation: sourceLocation)
        #expect((error?["message"] as? String)?.contains("gateway.upload_budget_bytes") == true, sourceLocation: sourceLocation)
    }

    @Test func uploadsPastTheGatewayWideBudgetGet503UntilTheHeldBytesAreGivenBack() async throws {
        try await GatewayTestDaemon.run(gatewayYAML: "gateway: { max_upload_bytes: 65536, upload_budget_bytes: 100000 }",
                                        modelExtra: ", task: speech-to-text") { gw in
            // A slow upload: declares 60 000 bytes, sends 10 and waits. Its declared length is held at once.
            let slow = try RawHTTP.connectSocket(gw.address)
            var closed = false
            defer { if !closed { close(slow) } }
            let head = "POST \(Self.path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: \(Self.formType)\r\n"
                + "Authorization: Bearer \(GatewayTestDaemon.callerToken)\r\nContent-Length: 60000\r\n\r\n0123456789"
            let bytes = Array(head.utf8)
            #expect(bytes.withUnsafeBytes { send(slow, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count)
            #expect(try await eventually(within: 10) { try await Self.held(gw) == 60000 }, "the slow upload's declared length is held")

            // Declares 60 000 more and sends nothing: refused at once, so its body was never waited for.
            let declared = try await GatewayTaskTests.exchange(gw, Self.path, contentType: Self.formType, body: [], declaredLength: 60000, sendBody: false)
            Self.expectOverBudget(declared)

            // Chunked, no length to hold up front: refused as its bytes cross the budget.
            let form = GatewayTaskTests.transcriptionForm(model: "m", audio: [UInt8](repeating: 65, count: 50_000))
            let chunked = "\(String(form.count, radix: 16))\r\n" + String(decoding: form, as: UTF8.self) + "\r\n0\r\n\r\n"
            let crossing = try await RawHTTP.exchange(gw.address, "POST", Self.path, headers: [
                "Content-Type: \(Self.formType)", "Authorization: Bearer \(GatewayTestDaemon.callerToken)", "Transfer-Encoding: chunked",
            ], rawBody: chunked)
            Self.expectOverBudget(crossing)
            #expect(gw.simulators.values.allSatisfy { $0.recordedRequests.allSatisfy { $0.path != Self.path } }, "nothing refused went upstream")

            // A small upload still fits beside the slow one.
            let audio = MediaSamples.wav(seconds: 0.25)
            let small = try await GatewayTaskTests.exchange(gw, Self.path, contentType: Self.formType,
                                                             body: GatewayTaskTests.transcriptionForm(model: "m", audio: audio))
            #expect(small.status == 200, "\(small.payload)")

            // The slow caller goes away: its bytes are given back, and the big upload fits now.
            close(slow)
            closed = true
            #expect(try await eventually(within: 10) { try await Self.held(gw) == 0 }, "every hold given back")
            let big = GatewayTaskTests.transcriptionForm(model: "m", audio: MediaSamples.wav(seconds: 1.5))
            #expect(big.count > 40000 && big.count < 65536)
            let fits = try await GatewayTaskTests.exchange(gw, Self.path, contentType: Self.formType, body: big)
            #expect(fits.status == 200, "\(fits.payload)")
            #expect(try await eventually(within: 10) { try await Self.held(gw) == 0 })
        }
    }
}
