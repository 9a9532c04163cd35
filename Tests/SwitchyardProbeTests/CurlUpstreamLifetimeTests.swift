import Foundation
import SwitchyardCore
import SwitchyardProbe
import SwitchyardSimulator
import Testing

/// A gateway upstream answer frees itself (and its libcurl transfer) once it ended: the answer
/// and the transfer referred to each other, and LeakSanitizer found one such pair left behind
/// by every gateway request (issue #17).
@Suite(.timeLimit(.minutes(1))) struct CurlUpstreamLifetimeTests {
    private final class Watch: @unchecked Sendable {
        weak var response: AnyObject?
    }

    private static func request(port: Int, stream: Bool) -> UpstreamRequest {
        let body = #"{"model":"m","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
        return UpstreamRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions", headers: [], body: Array(body.utf8),
                               connectTimeoutSeconds: 2, idleTimeoutSeconds: 5, totalTimeoutSeconds: 10)
    }

    /// Sends one request, lets `use` read (or drop) the answer, and reports whether it was freed.
    private static func answerIsFreed(stream: Bool, _ use: @escaping @Sendable (any UpstreamResponse) async -> Void) async throws -> Bool {
        let simulator = ProviderSimulator(name: "p", behavior: SimulatorBehavior(models: ["m"], latencyMs: 0))
        let watch = Watch()
        return try await withStartedEngine { engine in
            try await SimulatorFleet([simulator]).withRunning { ports in
                let response = engine.send(request(port: ports["p"]!, stream: stream))
                watch.response = response
                await use(response)
            }
            return try await eventually(within: 5) { watch.response == nil }
        }
    }

    @Test(arguments: [false, true]) func aResponseReadToItsEndIsFreed(stream: Bool) async throws {
        let freed = try await Self.answerIsFreed(stream: stream) { response in
            guard case .success(let head) = await response.head() else { Issue.record("no head"); return }
            #expect(head.status == 200)
            var bytes = 0
            while let chunk = await response.next() { bytes += chunk.count }
            #expect(bytes > 0)
            #expect(response.failure == nil)
        }
        #expect(freed)
    }

    @Test func aResponseCanceledBeforeItsHeadIsFreed() async throws {
        let freed = try await Self.answerIsFreed(stream: true) { response in
            response.cancel()
            _ = await response.head()
            while await response.next() != nil {}
        }
        #expect(freed)
    }

    @Test func aResponseOfAStoppedEngineIsFreed() async throws {
        let engine = CurlEngine()
        engine.start()
        engine.shutdown()
        let watch = Watch()
        do {
            let response = engine.send(Self.request(port: 9, stream: false))
            watch.response = response
            if case .success = await response.head() { Issue.record("a stopped engine answered") }
        }
        #expect(watch.response == nil)
    }
}
