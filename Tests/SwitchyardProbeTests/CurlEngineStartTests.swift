import Foundation
import SwitchyardCore
import SwitchyardSimulator
import Testing
@testable import SwitchyardHTTP

/// The engine's thread runs from `start()` to `shutdown()`, not from `init`; and response
/// headers come from libcurl's own store, lower-cased (all of them, or only those a request names).
@Suite(.timeLimit(.minutes(1))) struct CurlEngineStartTests {
    /// Fires once; `wait()` returns when it has.
    private final class Signal: @unchecked Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        func fire() { semaphore.signal() }
        func wait() async { await withCheckedContinuation { c in DispatchQueue.global().async { self.semaphore.wait(); c.resume() } } }
    }

    @Test func workPostedBeforeStartRunsOnceStarted() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"]))
        try await SimulatorFleet([simulator]).withRunning { ports in
            let engine = CurlEngine()
            defer { engine.shutdown() }
            let fired = Signal()
            #expect(engine.schedule(at: .now) { fired.fire() } != nil)
            let transfer = Task { await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(ports["sim"]!)/v1/models", connectTimeoutSeconds: 1, timeoutSeconds: 5)) }
            #expect(engine.timerCount == 1)  // a due timer waits: no thread runs yet
            engine.start()
            await fired.wait()
            #expect(await transfer.value.status == 200)
        }
    }

    @Test func shutdownOfAnEngineNeverStartedSettlesItsWork() async {
        let engine = CurlEngine()
        let fired = Signal()
        _ = engine.schedule(at: .now + .seconds(600)) { fired.fire() }
        let transfer = Task { await engine.perform(HTTPRequest(url: "http://127.0.0.1:9/", connectTimeoutSeconds: 1, timeoutSeconds: 1)) }
        engine.shutdown()
        await fired.wait()
        #expect(await transfer.value.failure == .canceled)
        engine.start()  // after shutdown: nothing starts
        #expect(engine.schedule(at: .now) {} == nil)
    }

    @Test func responseHeadersAreLowerCasedFromLibcurl() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], servedBy: "Backend-A"))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let body = #"{"model":"m1","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#
            let result = await engine.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions", method: .post,
                                                          body: Array(body.utf8), connectTimeoutSeconds: 1, timeoutSeconds: 5))
            #expect(result.status == 200)
            #expect(result.headers["x-inference-provider"] == "Backend-A")
            #expect(result.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(result.headers.keys.allSatisfy { $0 == $0.lowercased() })
        }
    }

    @Test func onlyTheNamedResponseHeadersAreRead() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], servedBy: "Backend-A"))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let body = #"{"model":"m1","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#
            var request = HTTPRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions", method: .post,
                                      body: Array(body.utf8), connectTimeoutSeconds: 1, timeoutSeconds: 5)
            request.responseHeaderNames = ["x-inference-provider", "retry-after"]
            let result = await engine.perform(request)
            #expect(result.status == 200)
            #expect(result.headers == ["x-inference-provider": "Backend-A"])  // no content-type; no retry-after sent
        }
    }
}
