import Foundation
import SwitchyardSimulator
import Testing

/// The gateway's JSON routes are answered off the channel pipeline (`GatewayChannelHandler`),
/// beside Hummingbird's router on the same connection. These check what that split must keep:
/// HTTP/1.1 answers in request order whichever side answers, and a caller that leaves cancels
/// its upstream attempt at once, not when the answer is ready.
@Suite(.serialized, .timeLimit(.minutes(2))) struct GatewayPipelineTests {
    static let chat = #"{"model":"m","messages":[]}"#

    static func request(_ method: String, _ path: String, body: String? = nil, close: Bool = false) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(GatewayTestDaemon.callerToken)\r\n"
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        if close { text += "Connection: close\r\n" }
        return text + "\r\n" + (body ?? "")
    }

    /// The answers on one connection, in the order they came (each with a `Content-Length`).
    static func answers(in bytes: [UInt8]) -> [RawHTTP.Answer] {
        var answers: [RawHTTP.Answer] = []
        var rest = bytes[...]
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while let end = rest.firstRange(of: separator) {
            let lines = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "") ?? 0
            let bodyEnd = min(end.upperBound + length, rest.endIndex)
            let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
            answers.append(RawHTTP.Answer(status: status, headers: headers, body: String(decoding: rest[end.upperBound..<bodyEnd], as: UTF8.self)))
            rest = rest[bodyEnd...]
        }
        return answers
    }

    @Test func pipelinedRequestsAreAnsweredInOrderWhicheverSideAnswersThem() async throws {
        try await GatewayTestDaemon.run { gw in
            // `a` takes 150 ms, so the requests behind the first wait for its answer.
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 150))
            let requests = Self.request("POST", "/v1/chat/completions", body: Self.chat) + Self.request("GET", "/healthz")
                + Self.request("POST", "/v1/chat/completions", body: Self.chat) + Self.request("GET", "/v1/route?model=m", close: true)
            let bytes = try await offPool {
                let fd = try RawHTTP.connectSocket(gw.address)
                defer { close(fd) }
                // All four in one write: the daemon reads them together.
                _ = Array(requests.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                return RawHTTP.readToEnd(fd)
            }
            let answers = Self.answers(in: bytes)
            #expect(answers.map(\.status) == [200, 200, 200, 200], "\(String(decoding: bytes, as: UTF8.self))")
            guard answers.count == 4 else { return }
            #expect(answers[0].headers["x-switchyard-provider"] == "a" && answers[0].body.contains("chat.completion"))
            #expect(answers[1].body.contains(#""status":"ok""#))
            #expect(answers[2].headers["x-switchyard-provider"] == "a" && answers[2].body.contains("chat.completion"))
            #expect(answers[3].body.contains(#""candidates""#), "\(answers[3].body)")
            #expect(gw.simulators["a"]!.recordedRequests.count == 2)
        }
    }

    /// A body that is not all in when its read ends: the answer starts then, so a caller without
    /// a valid token is refused before it has sent its body (which it never finishes here).
    @Test func theAnswerStartsBeforeASlowBodyIsAllIn() async throws {
        try await GatewayTestDaemon.run { gw in
            let body = #"{"model":"m","messages":[{"role":"user","content":"never finished"}]}"#
            let request = Self.request("POST", "/v1/chat/completions", body: body).replacingOccurrences(of: GatewayTestDaemon.callerToken, with: "wrong-token")
            let answers = try await offPool {
                let fd = try RawHTTP.connectSocket(gw.address)
                defer { close(fd) }
                var limit = timeval(tv_sec: 10, tv_usec: 0)  // a bound, should the answer never come
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                _ = Array(request.dropLast(20).utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = recv(fd, &buffer, buffer.count, 0)
                return Self.answers(in: Array(buffer[0..<max(count, 0)]))
            }
            #expect(answers.map(\.status) == [401])
        }
    }

    /// The same with a caller that finishes its body: the answer, already started (it holds the
    /// only slot of `max_concurrent: 1`, so a second caller is refused, and
    /// `switchyard_gateway_requests_in_flight` shows it), reads the rest as it comes and
    /// forwards the whole body; its slot is given back when its answer has gone.
    @Test func aBodyThatArrivesInPartsIsReadAsItComesAndForwardedWhole() async throws {
        try await GatewayTestDaemon.run(gatewayYAML: "gateway: { max_concurrent: 1 }") { gw in
            let body = #"{"model":"m","messages":[{"role":"user","content":"split-body-marker"}]}"#
            let request = Array(Self.request("POST", "/v1/chat/completions", body: body, close: true).utf8)
            #expect(try await gw.series("switchyard_gateway_requests_in_flight") == 0)
            let fd = try RawHTTP.connectSocket(gw.address)
            defer { close(fd) }
            _ = request.dropLast(30).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            #expect(try await eventually(within: 5) { try await gw.series("switchyard_gateway_requests_in_flight") == 1 })
            #expect(try await gw.post("/v1/chat/completions", Self.chat).status == 503)
            let forwardedBefore = gw.simulators["a"]!.recordedRequests.count
            _ = request.suffix(30).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            let answers = Self.answers(in: try await offPool { RawHTTP.readToEnd(fd) })
            #expect(answers.map(\.status) == [200])
            #expect(gw.simulators["a"]!.recordedRequests.count == forwardedBefore + 1)
            let forwarded = try #require(gw.simulators["a"]!.recordedRequests.last)
            #expect(String(decoding: forwarded.body, as: UTF8.self).contains("split-body-marker"))
            #expect(try JSONSerialization.jsonObject(with: Data(forwarded.body)) is [String: Any])
            #expect(try await eventually(within: 5) { try await gw.series("switchyard_gateway_requests_in_flight") == 0 })
        }
    }

    /// A caller leaves by closing its connection or, the same to the gateway (as to nginx by
    /// default), by shutting down its sending side after the request (`halfClose`).
    @Test(arguments: [false, true]) func aCallerThatLeavesBeforeAWholeAnswerCancelsTheUpstreamAttemptAtOnce(halfClose: Bool) async throws {
        try await GatewayTestDaemon.run { gw in
            // `a` answers after 1.5 s; the caller leaves as soon as `a` has the request.
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1500))
            let fd = try RawHTTP.connectSocket(gw.address)
            defer { if halfClose { close(fd) } }
            let request = Self.request("POST", "/v1/chat/completions", body: Self.chat)
            _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            #expect(try await eventually(within: 5) { gw.simulators["a"]!.recordedRequests.count == 1 })
            if halfClose { shutdown(fd, Int32(SHUT_WR)) } else { close(fd) }
            // The gateway closed its upstream connection when the caller left: `a` finds it closed
            // when its answer is ready (before, the gateway waited for that answer, then dropped it).
            #expect(try await eventually(within: 5) { gw.simulators["a"]!.stats["abandoned"] == 1 })
            // Not held against `a`, and nothing was tried elsewhere.
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="ok"} 0"#))
            #expect(!metrics.contains(#"switchyard_report_results_total{provider="a",model="m",outcome="canceled"} 1"#))
            #expect(gw.simulators["b"]!.recordedRequests.isEmpty)
            // The daemon goes on serving.
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1))
            #expect(try await gw.post("/v1/chat/completions", Self.chat).status == 200)
        }
    }
}
