import Foundation
import SwitchyardSimulator
import Synchronization
import Testing

/// The gateway under bad input from either side: an upstream that turns to garbage mid-stream,
/// a crowd of slow callers, a body without a length over the cap. Each gets its clear error and
/// the daemon keeps answering routes meanwhile.
@Suite(.serialized, .timeLimit(.minutes(2))) struct GatewayBadInputTests {
    @Test func anUpstreamSendingGarbageMidStreamEndsTheStreamWithTheEventsSoFarAndAnErrorEvent() async throws {
        try await GatewayTestDaemon.run { gw in
            let answer = try await gw.streamedChat(breakingWith: .garbageMidStream, "the events before the garbage reach the caller")
            #expect(!answer.payload.contains("[tru") && !answer.payload.contains("[DONE]"), "\(answer.payload)")
            // Every event the caller gets is JSON, as an OpenAI SDK parses it; the last is the error.
            let events = answer.payload.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            let objects = events.map { event in
                (try? JSONSerialization.jsonObject(with: Data(event.dropFirst("data: ".count).utf8))) as? [String: Any]
            }
            #expect(objects.allSatisfy { $0 != nil }, "\(events)")
            let error = try #require(objects.last??["error"] as? [String: Any])
            #expect(error["code"] as? String == "stream_interrupted")
            #expect((error["message"] as? String)?.contains("not JSON") == true)
            // The attempt counts against the provider as a bad response.
            let served = answer.headers["x-switchyard-provider"] ?? "?"
            #expect(try await eventually(within: 15) {
                try await gw.metrics().contains(#"switchyard_report_results_total{provider="\#(served)",model="m",outcome="bad_response"} 1"#)
            })
            let metrics = try await gw.metrics()
            #expect(metrics.contains(#"switchyard_gateway_attempts_total{outcome="bad_response"} 1"#))
            #expect(metrics.contains(#"switchyard_gateway_requests_total{endpoint="chat_completions",result="stream_broken"} 1"#))
        }
    }

    /// 1,000 callers open a gateway request and send its body a byte every 100 ms (never the
    /// last). Those holding a slot (`max_concurrent`) are closed by `header_timeout` (1 s) or
    /// answered 408; the rest get 503 at once. Seen here: 872 × 503, 128 closed after ≥ 1.04 s.
    /// `ulimit -n` here is 20,000; the test needs about 2,100 descriptors.
    /// A non-streaming 200 whose body is not JSON is a failed attempt: the gateway holds the whole
    /// answer, checks it and fails over before the caller gets a byte. (Before: the garbage went
    /// to the caller with status 200 from `a`.)
    @Test func aWholeAnswerThatIsNotJSONFailsOverBeforeTheCallerGetsAByte() async throws {
        try await GatewayTestDaemon.run { gw in
            let answer = try await gw.chatFailedOverToB(from: .garbage)
            #expect(answer.json["choices"] != nil, "\(answer.payload)")
            // Held whole, so sent with its length.
            #expect(answer.headers["content-length"] == "\(answer.body.utf8.count)")
            #expect(try await eventually(within: 5) {
                try await gw.metrics().contains(#"switchyard_gateway_attempts_total{outcome="bad_response"} 1"#)
            })
            #expect(try await gw.metrics().contains(#"switchyard_report_results_total{provider="a",model="m",outcome="bad_response"} 1"#))
            // Pinned to `a`: no one to fail over to; the error says why, and no garbage byte is passed on.
            let pinned = try await gw.post("/v1/chat/completions", #"{"model":"m:a","messages":[]}"#)
            #expect(pinned.status == 502)
            let error = try #require(pinned.json["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("not a JSON object") == true, "\(pinned.payload)")
            #expect(!pinned.payload.contains("[tru"))
        }
    }

    @Test func aThousandSlowCallersEachGetTheirErrorWhileRoutesKeepAnswering() async throws {
        try await GatewayTestDaemon.run(
            gatewayYAML: "gateway: { max_concurrent: 32 }",
            listenExtra: ", header_timeout: 1s, max_connections: 2048, max_connections_per_peer: 2048"
        ) { gw in
            let crowd = SlowBodyCallers(address: gw.address, count: 1000, token: GatewayTestDaemon.callerToken)
            async let outcome = offPool { crowd.run(forSeconds: 20) }
            #expect(try await eventually(within: 15) { crowd.openedCount == 1000 }, "opened only \(crowd.openedCount)")
            // Routes keep answering on both listeners meanwhile.
            var routes = 0
            for round in 0..<10 {
                let address: RawHTTP.Address = round.isMultiple(of: 2) ? gw.address : .unix(path: gw.directory + "/switchyard.sock")
                if try await RawHTTP.exchange(address, "GET", "/v1/route?model=m").status == 200 { routes += 1 }
            }
            let result = try await outcome
            print("slow callers: \(result.statuses) answered, \(result.closedWithoutAnswer) closed without an answer \(result.closes) (callers \(result.closedRange.map { "\($0)" } ?? "-"), the first after \(result.earliestClose.map { "\($0)" } ?? "-")), \(result.stillOpen) still open; \(routes) of 10 routes answered")
            #expect(routes == 10)
            #expect(result.stillOpen == 0)
            #expect(Set(result.statuses.keys).isSubset(of: [408, 503]), "\(result.statuses)")
            #expect(result.statuses[503, default: 0] >= 500, "beyond max_concurrent: 503 at once")
            // A caller with no answer was cut off by header_timeout (1 s), not dropped early.
            #expect(result.earliestClose.map { $0 >= .milliseconds(900) } ?? true, "\(result.earliestClose.map { "\($0)" } ?? "-")")
            #expect(result.statuses.values.reduce(0, +) + result.closedWithoutAnswer == 1000)
            // The slots were given back: a normal call is served.
            #expect(try await eventually(within: 5) { try await gw.post("/v1/chat/completions", GatewayTests.chat).status == 200 })
        }
    }

    @Test func aBodyWithoutALengthOverTheCapGets413InTheOpenAIShape() async throws {
        try await GatewayTestDaemon.run(listenExtra: ", max_body_bytes: 2000") { gw in
            let answer = try await RawHTTP.exchange(gw.address, "POST", "/v1/chat/completions", headers: [
                "Content-Type: application/json", "Authorization: Bearer \(GatewayTestDaemon.callerToken)", "Transfer-Encoding: chunked",
            ], body: "", rawBody: "BB8\r\n" + #"{"model":"m","x":""# + String(repeating: "x", count: 2980) + "\"}\r\n0\r\n\r\n")
            #expect(answer.status == 413, "\(answer.payload)")
            #expect((answer.json["error"] as? [String: Any])?["code"] as? String == "body_too_large")
            #expect(gw.simulators.values.allSatisfy { $0.recordedRequests.isEmpty })
        }
    }
}

/// Callers that send a gateway request's head and then its body a byte every 100 ms; records
/// what each got: an answer's status, or a close without one.
struct SlowBodyCallers: Sendable {
    struct Result: Sendable {
        var statuses: [Int: Int] = [:]
        var closedWithoutAnswer = 0
        var stillOpen = 0
        /// How the unanswered ones ended: "eof" or the errno, with the count.
        var closes: [String: Int] = [:]
        /// The shortest time from connecting to a close without an answer.
        var earliestClose: Duration?
        /// Indices (in connecting order) of the first and last caller closed without an answer.
        var closedRange: ClosedRange<Int>?
    }

    let address: RawHTTP.Address
    let count: Int
    let token: String
    let sockets = SlowSockets()

    var openedCount: Int { sockets.openedCount }

    /// Blocking: call on its own thread.
    func run(forSeconds seconds: Double) -> Result {
        let start = ContinuousClock.now
        let body = Array(#"{"model":"m","messages":[{"role":"user","content":"a slow caller"}]}"#.utf8)
        let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        let opened = sockets.open(count, to: address, first: head)
        let fds = opened.map(\.fd)
        let connected = Dictionary(uniqueKeysWithValues: opened.map { ($0.fd, (index: $0.index, at: $0.at)) })
        var received = [Int32: [UInt8]]()
        var done = Set<Int32>()
        var result = Result()
        var sent = 0
        var buffer = [UInt8](repeating: 0, count: 1024)
        while ContinuousClock.now - start < .seconds(seconds) && done.count < fds.count {
            for fd in fds where !done.contains(fd) {
                let read = recv(fd, &buffer, buffer.count, 0)
                if read > 0 { received[fd, default: []] += buffer[0..<read] }
                let text = String(decoding: received[fd, default: []], as: UTF8.self)
                if let lineEnd = text.range(of: "\r\n") {  // answered: the status line is in
                    let status = Int(text[..<lineEnd.lowerBound].split(separator: " ").dropFirst().first ?? "") ?? 0
                    result.statuses[status, default: 0] += 1
                    done.insert(fd)
                } else if read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                    result.closedWithoutAnswer += 1
                    result.closes[read == 0 ? "eof" : "errno \(errno)", default: 0] += 1
                    let (index, at) = connected[fd]!
                    result.earliestClose = min(result.earliestClose ?? .seconds(3600), .now - at)
                    result.closedRange = result.closedRange.map { min($0.lowerBound, index)...max($0.upperBound, index) } ?? index...index
                    done.insert(fd)
                } else if sent < body.count - 1 {  // never the last byte: the body stays incomplete
                    _ = withUnsafeBytes(of: body[sent]) { send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
                }
            }
            sent += 1
            usleep(100_000)
        }
        result.stillOpen = fds.count - done.count
        for fd in fds { close(fd) }
        return result
    }
}
