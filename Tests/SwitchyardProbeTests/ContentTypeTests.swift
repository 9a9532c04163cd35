import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardProbe
import SwitchyardSimulator
import Testing

/// A request's builder says its content type; the libcurl transport adds none (not JSON, nor
/// libcurl's own form-urlencoded default), so a multipart or other body is never mislabeled.
@Suite(.timeLimit(.minutes(2))) struct ContentTypeTests {
    @Test func aPostWithoutAContentTypeGoesWithoutOne() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 0))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let bare = HTTPRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions", method: .post,
                                   body: Array(#"{"model": "m1", "messages": [{"role": "user", "content": "hi"}]}"#.utf8),
                                   connectTimeoutSeconds: 1, timeoutSeconds: 2)
            #expect(await engine.perform(bare).status == 200)
            #expect(simulator.recordedRequests.last?.header("content-type") == nil)
            var said = bare
            said.headers = ["Content-Type: text/plain"]
            #expect(await engine.perform(said).status == 200)
            #expect(simulator.recordedRequests.last?.header("content-type") == "text/plain")
        }
    }

    /// libcurl asks `Expect: 100-continue` before a body over 1 MiB and waits up to a second for
    /// the 100 (the simulator, like many servers, never sends one): the transport sends at once.
    @Test func aLargeBodyGoesWithoutWaitingForA100() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 0))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let upload = HTTPRequest(url: "http://127.0.0.1:\(port)/v1/audio/transcriptions", method: .post,
                                     headers: ["Content-Type: multipart/form-data; boundary=b"], body: Array(repeating: UInt8(ascii: "x"), count: 2 << 20),
                                     connectTimeoutSeconds: 1, timeoutSeconds: 5)
            #expect(await engine.perform(upload).status == 400)  // not a form: the simulator read it all and said so
            let recorded = try #require(simulator.recordedRequests.last)
            #expect(recorded.body.count == 2 << 20)
            #expect(recorded.header("expect") == nil)
        }
    }

    @Test func aCompletionProbeSaysItsBodyIsJSON() async throws {
        let simulator = ProviderSimulator(name: "sim", behavior: SimulatorBehavior(models: ["m1"], latencyMs: 0))
        try await withSimulatorAndEngine(simulator) { port, engine in
            let result = await ProberTable.prober(for: .openai).probe(probeTarget(port: port, mode: .completion), using: engine, now: SystemWallClock().now())
            #expect(result.outcome == .ok)
            #expect(simulator.recordedRequests.last?.header("content-type") == "application/json")
        }
    }
}
