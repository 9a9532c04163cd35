import NIOPosix
import Synchronization
import SwitchyardCore
import SwitchyardSimulator
import SwitchyardTestSupport
import Testing
@testable import SwitchyardUpstream

/// The plain-HTTP transport on NIO's event loops, against the simulator on loopback: answers
/// free themselves, connections are kept alive and reused, the buffer is bounded, timeouts,
/// refusals and broken answers end an attempt as the gateway's policy expects.
@Suite(.timeLimit(.minutes(2))) struct NIOUpstreamTests {
    private final class Watch: @unchecked Sendable {
        weak var response: AnyObject?
    }

    private static func request(port: Int, stream: Bool, idle: Double = 5, total: Double = 10) -> UpstreamRequest {
        let body = #"{"model":"m","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
        return UpstreamRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions", headers: ["Accept: application/json"], body: Array(body.utf8),
                               connectTimeoutSeconds: 2, idleTimeoutSeconds: idle, totalTimeoutSeconds: total)
    }

    private static func withSimulator<T: Sendable>(_ behavior: SimulatorBehavior, _ body: @Sendable (Int) async throws -> T) async throws -> T {
        try await SimulatorFleet([ProviderSimulator(name: "p", behavior: behavior)]).withRunning { ports in try await body(ports["p"]!) }
    }

    private static func readAll(_ response: any UpstreamResponse) async -> Int {
        var bytes = 0
        while let chunk = await response.next() { bytes += chunk.count }
        return bytes
    }

    @Test(arguments: [false, true]) func aResponseReadToItsEndIsFreed(stream: Bool) async throws {
        let transport = NIOUpstream()
        let watch = Watch()
        try await Self.withSimulator(SimulatorBehavior(models: ["m"], latencyMs: 0)) { port in
            let response = transport.send(Self.request(port: port, stream: stream))
            watch.response = response
            guard case .success(let head) = await response.head() else { Issue.record("no head"); return }
            #expect(head.status == 200)
            #expect(head.headers["content-type"]?.hasPrefix(stream ? "text/event-stream" : "application/json") == true)
            #expect(await Self.readAll(response) > 0)
            #expect(response.failure == nil)
        }
        #expect(try await eventually(within: 5) { watch.response == nil })
    }

    @Test func aResponseCanceledBeforeItsHeadIsFreed() async throws {
        let transport = NIOUpstream()
        let watch = Watch()
        try await Self.withSimulator(SimulatorBehavior(models: ["m"], latencyMs: 200)) { port in
            let response = transport.send(Self.request(port: port, stream: true))
            watch.response = response
            response.cancel()
            #expect(await response.head().failure == .canceled)
            #expect(await response.next() == nil)
        }
        #expect(try await eventually(within: 5) { watch.response == nil })
    }

    @Test func theTransportAddsNoContentTypeAndAsksForNoCompression() async throws {
        let simulator = ProviderSimulator(name: "p", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0))
        try await SimulatorFleet([simulator]).withRunning { ports in
            let transport = NIOUpstream()
            let response = transport.send(Self.request(port: ports["p"]!, stream: false))
            #expect(await response.head().status == 200)
            _ = await Self.readAll(response)
            let seen = try #require(simulator.recordedRequests.last)
            #expect(seen.header("content-type") == nil, "the request's builder says its type")
            #expect(seen.header("accept-encoding") == "identity")
            #expect(seen.header("content-length") == "\(Self.request(port: 0, stream: false).body.count)")
        }
    }

    @Test func aKeptAliveConnectionCarriesTheNextRequests() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = NIOUpstream(group: group)
        let counts = try await Self.withSimulator(SimulatorBehavior(models: ["m"], latencyMs: 0)) { port in
            for _ in 0..<5 {
                let response = transport.send(Self.request(port: port, stream: false))
                #expect(await response.head().status == 200)
                #expect(await Self.readAll(response) > 0)
            }
            return try await transport.connectionCounts()
        }
        // One connection made and kept: every request after the first found it idle.
        #expect(counts == ConnectionPool.Counts(opened: 1, idle: 1))
        try await group.shutdownGracefully()
    }

    @Test func anUnreadAnswerStopsTheReadsAtTheBoundAndGoesOnWhenRead() async throws {
        let transport = NIOUpstream()
        try await Self.withSimulator(SimulatorBehavior(models: ["m"], latencyMs: 0, fault: .oversized, oversizeBytes: 4 << 20)) { port in
            let response = transport.send(Self.request(port: port, stream: false))
            #expect(await response.head().status == 200)
            let nio = try #require(response as? NIOUpstreamResponse)
            #expect(try await eventually(within: 5) { nio.isPaused })
            // Unheld, the connection takes the whole 4 MiB within this second (checked: it does
            // when `read(context:)` always reads); held, the buffer stays at the bound plus one read.
            let bound = NIOUpstreamResponse.maxBufferedBytes + (256 << 10)
            #expect(try await !eventually(within: 1) { nio.bufferedBytes > bound })
            #expect(await Self.readAll(response) > 4 << 20)
            #expect(response.failure == nil)
        }
    }

    @Test func aServerThatNeverAnswersTimesOutAtTheIdleTimeout() async throws {
        let transport = NIOUpstream()
        try await Self.withSimulator(SimulatorBehavior(models: ["m"], latencyMs: 0, fault: .hang)) { port in
            let response = transport.send(Self.request(port: port, stream: false, idle: 0.2))
            #expect(await response.head().failure == .timeout)
        }
    }

    @Test func aStreamThatStallsTimesOutAfterItsHead() async throws {
        let transport = NIOUpstream()
        try await Self.withSimulator(SimulatorBehavior(models: ["m"], latencyMs: 0, fault: .stall)) { port in
            let response = transport.send(Self.request(port: port, stream: true, idle: 0.3))
            #expect(await response.head().status == 200)
            _ = await Self.readAll(response)
            #expect(response.failure == .timeout)
        }
    }

    @Test func aRefusedConnectionIsAConnectFailure() async throws {
        let response = NIOUpstream().send(Self.request(port: 9, stream: false))
        guard case .failure(.connect) = await response.head() else { Issue.record("not a connect failure"); return }
    }

    @Test(arguments: [SimulatorBehavior.Fault.reset, .truncated]) func aBrokenAnswerFailsTheAttempt(fault: SimulatorBehavior.Fault) async throws {
        let transport = NIOUpstream()
        try await Self.withSimulator(SimulatorBehavior(models: ["m"], latencyMs: 0, fault: fault)) { port in
            let response = transport.send(Self.request(port: port, stream: false))
            switch await response.head() {
            case .failure(let failure): #expect(failure != .canceled && failure != .timeout)
            case .success:
                _ = await Self.readAll(response)
                #expect(response.failure != nil)
            }
        }
    }

    @Test func urlsSplitIntoHostPortAndPath() {
        let plain = UpstreamURL("http://127.0.0.1:8000/v1/chat/completions")
        #expect(plain?.host == "127.0.0.1" && plain?.port == 8000 && plain?.path == "/v1/chat/completions" && plain?.authority == "127.0.0.1:8000")
        let v6 = UpstreamURL("http://[::1]/v1?x=1")
        #expect(v6?.host == "::1" && v6?.port == 80 && v6?.path == "/v1?x=1" && v6?.authority == "[::1]")
        #expect(UpstreamURL("https://example.com/v1") == nil)
        #expect(UpstreamURL("http://user:pw@example.com/") == nil)
        #expect(UpstreamURL("http://example.com:99999/") == nil)
    }
}

extension Result where Success == UpstreamHead, Failure == UpstreamFailure {
    var failure: UpstreamFailure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }

    var status: Int? {
        if case .success(let head) = self { return head.status }
        return nil
    }
}

/// `ByScheme` sends plain-HTTP upstreams to NIO and every other one (TLS) to the other transport.
@Suite struct BySchemeTests {
    private final class Recorder: UpstreamTransport, @unchecked Sendable {
        private let urls = Mutex<[String]>([])
        var seen: [String] { urls.withLock { $0 } }

        func send(_ request: UpstreamRequest) -> any UpstreamResponse {
            urls.withLock { $0.append(request.url) }
            return NIOUpstream().send(UpstreamRequest(url: "unsent", headers: [], body: [], connectTimeoutSeconds: 1, idleTimeoutSeconds: 1, totalTimeoutSeconds: 1))
        }
    }

    @Test func plainHTTPGoesToTheFirstAndTLSToTheOther() {
        let (plain, other) = (Recorder(), Recorder())
        let transport = ByScheme(plain: plain, other: other)
        for url in ["http://127.0.0.1:8000/v1/chat/completions", "https://router.huggingface.co/v1/chat/completions", "http://localhost/v1/completions"] {
            _ = transport.send(UpstreamRequest(url: url, headers: [], body: [], connectTimeoutSeconds: 1, idleTimeoutSeconds: 1, totalTimeoutSeconds: 1))
        }
        #expect(plain.seen == ["http://127.0.0.1:8000/v1/chat/completions", "http://localhost/v1/completions"])
        #expect(other.seen == ["https://router.huggingface.co/v1/chat/completions"])
    }
}
