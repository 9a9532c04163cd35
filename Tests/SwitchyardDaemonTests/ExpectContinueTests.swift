import Foundation
import SwitchyardSimulator
import Testing

/// `Expect: 100-continue` (curl sends it with bodies over 1 MiB, then waits a second for the
/// 100): the 100 comes as soon as the head is read, on the gateway's routes and the router's,
/// on both listeners; not when the declared body is over the cap (the 413 comes instead), nor
/// over TCP without a client token that would be accepted (the 401 comes instead), not before
/// the answers to earlier pipelined requests, not to HTTP/1.0.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ExpectContinueTests {
    static let continueLine = "HTTP/1.1 100 Continue\r\n\r\n"

    /// Sends `head` (ending in its blank line), reads what the daemon sends before the body
    /// (waiting up to 10 s), then sends `body` if that was a 100, and reads to the end.
    static func exchange(_ address: RawHTTP.Address, head: String, body: String) async throws -> (beforeBody: String, rest: [UInt8]) {
        try await offPool {
            let fd = try RawHTTP.connectSocket(address)
            defer { close(fd) }
            var limit = timeval(tv_sec: 10, tv_usec: 0)  // a bound, should nothing come
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            send(fd, head)
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &buffer, buffer.count, 0)
            let beforeBody = String(decoding: buffer[0..<max(count, 0)], as: UTF8.self)
            guard beforeBody == continueLine else { return (beforeBody, RawHTTP.readToEnd(fd)) }
            send(fd, body)
            return (beforeBody, RawHTTP.readToEnd(fd))
        }
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// A POST head to `path` declaring `bodyBytes` and expecting a 100.
    static func head(_ path: String, bodyBytes: Int, version: String = "1.1", close: Bool = true) -> String {
        "POST \(path) HTTP/\(version)\r\nHost: x\r\nAuthorization: Bearer \(GatewayTestDaemon.callerToken)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(bodyBytes)\r\nExpect: 100-continue\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n"
    }

    @Test func theGatewayAndTheRouterSay100BeforeTheBodyOnBothListeners() async throws {
        try await GatewayTestDaemon.run { gw in
            let chat = #"{"model":"m","messages":[]}"#
            for address in [gw.address, .unix(path: gw.directory + "/switchyard.sock")] {
                let forwarded = try await Self.exchange(address, head: Self.head("/v1/chat/completions", bodyBytes: chat.utf8.count), body: chat)
                #expect(forwarded.beforeBody == Self.continueLine, "\(address): \(forwarded.beforeBody)")
                let answers = GatewayPipelineTests.answers(in: forwarded.rest)
                #expect(answers.map(\.status) == [200] && answers.first?.body.contains("chat.completion") == true,
                        "\(String(decoding: forwarded.rest, as: UTF8.self))")
            }
            // A route of the router's (Hummingbird's side of the pipeline).
            let reports = #"{"reports":[]}"#
            let routed = try await Self.exchange(gw.address, head: Self.head("/v1/reports", bodyBytes: reports.utf8.count), body: reports)
            #expect(routed.beforeBody == Self.continueLine, "\(routed.beforeBody)")
            #expect(GatewayPipelineTests.answers(in: routed.rest).map(\.status) == [200], "\(String(decoding: routed.rest, as: UTF8.self))")
        }
    }

    @Test func aDeclaredBodyOverTheCapGets413WithoutA100() async throws {
        try await GatewayTestDaemon.run(listenExtra: ", max_body_bytes: 2000") { gw in
            for path in ["/v1/chat/completions", "/v1/reports"] {
                let refused = try await Self.exchange(gw.address, head: Self.head(path, bodyBytes: 5000), body: "")
                #expect(refused.beforeBody.hasPrefix("HTTP/1.1 413 "), "\(path): \(refused.beforeBody)")
            }
            // An upload's cap is gateway.max_upload_bytes (25 MiB): 5,000 bytes are welcome, 30 MB are not.
            let upload = try await Self.exchange(gw.address, head: Self.head("/v1/audio/transcriptions", bodyBytes: 5000), body: String(repeating: "x", count: 5000))
            #expect(upload.beforeBody == Self.continueLine, "\(upload.beforeBody)")
            let oversized = try await Self.exchange(gw.address, head: Self.head("/v1/audio/transcriptions", bodyBytes: 30_000_000), body: "")
            #expect(oversized.beforeBody.hasPrefix("HTTP/1.1 413 ") && oversized.beforeBody.contains("gateway.max_upload_bytes"), "\(oversized.beforeBody)")
            #expect(gw.simulators.values.allSatisfy { $0.recordedRequests.isEmpty })
        }
    }

    @Test func aTCPCallerWithoutAnAcceptedTokenGets401WithoutA100() async throws {
        try await GatewayTestDaemon.run { gw in
            let accepted = "Authorization: Bearer \(GatewayTestDaemon.callerToken)\r\n"
            for path in ["/v1/chat/completions", "/v1/reports", "/v1/audio/transcriptions"] {
                for authorization in ["Authorization: Bearer not-a-client-token\r\n", "Authorization: Basic eDp5\r\n", ""] {
                    let head = Self.head(path, bodyBytes: 5000).replacingOccurrences(of: accepted, with: authorization)
                    let refused = try await Self.exchange(gw.address, head: head, body: "")
                    #expect(refused.beforeBody.hasPrefix("HTTP/1.1 401 "), "\(path) with '\(authorization)': \(refused.beforeBody)")
                }
            }
            // The Unix socket asks for no token: its callers are known by their uid.
            let chat = #"{"model":"m","messages":[]}"#
            let head = Self.head("/v1/chat/completions", bodyBytes: chat.utf8.count).replacingOccurrences(of: accepted, with: "")
            let unix = try await Self.exchange(.unix(path: gw.directory + "/switchyard.sock"), head: head, body: chat)
            #expect(unix.beforeBody == Self.continueLine, "\(unix.beforeBody)")
            #expect(GatewayPipelineTests.answers(in: unix.rest).map(\.status) == [200], "\(String(decoding: unix.rest, as: UTF8.self))")
            #expect(gw.simulators.values.map { $0.recordedRequests.count }.reduce(0, +) == 1, "only the Unix socket's request went upstream")
        }
    }

    @Test func aPipelinedRequestGetsIts100AfterTheAnswersBeforeIt() async throws {
        try await GatewayTestDaemon.run { gw in
            // `a` takes 150 ms: the second request's head is read long before the first is answered.
            gw.simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 150))
            let chat = #"{"model":"m","messages":[]}"#
            let first = Self.head("/v1/chat/completions", bodyBytes: chat.utf8.count, close: false)
                .replacingOccurrences(of: "Expect: 100-continue\r\n", with: "") + chat
            let second = Self.head("/v1/chat/completions", bodyBytes: chat.utf8.count)
            let (beforeBody, rest) = try await offPool {
                let fd = try RawHTTP.connectSocket(gw.address)
                defer { close(fd) }
                var limit = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                Self.send(fd, first + second)
                var received = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while !String(decoding: received, as: UTF8.self).contains("100 Continue") {
                    let count = recv(fd, &buffer, buffer.count, 0)
                    if count <= 0 { break }
                    received += buffer[0..<count]
                }
                Self.send(fd, chat)
                return (received, RawHTTP.readToEnd(fd))
            }
            let early = GatewayPipelineTests.answers(in: beforeBody)
            #expect(early.map(\.status) == [200, 100], "\(String(decoding: beforeBody, as: UTF8.self))")
            #expect(early.first?.body.contains("chat.completion") == true, "the first answer is whole before the 100")
            #expect(GatewayPipelineTests.answers(in: rest).map(\.status) == [200], "\(String(decoding: rest, as: UTF8.self))")
        }
    }

    @Test func anHTTP10RequestGetsNo100() async throws {
        try await GatewayTestDaemon.run { gw in
            let chat = #"{"model":"m","messages":[]}"#
            let bytes = try await offPool {
                let fd = try RawHTTP.connectSocket(gw.address)
                defer { close(fd) }
                Self.send(fd, Self.head("/v1/chat/completions", bodyBytes: chat.utf8.count, version: "1.0") + chat)
                return RawHTTP.readToEnd(fd)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(GatewayPipelineTests.answers(in: bytes).map(\.status) == [200] && !text.contains("100 Continue"), "\(text)")
        }
    }
}
