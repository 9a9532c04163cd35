import Foundation
import Logging
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// The Swift client's failover derives what a request needs from the body it sends and asks the
/// daemon's route for it: a provider known to lack it is never handed to the attempt.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ClientCapabilityTests {
    static let withTools = Data(#"{"model":"m","messages":[{"role":"user","content":"call f"}],"tools":[{"type":"function","function":{"name":"f"}}],"max_tokens":4}"#.utf8)

    @Test(arguments: [
        (#"{"messages":[{"role":"user","content":"hi"}]}"#, CapabilityNeeds(minContext: 8)),
        (#"{"messages":[],"tools":[{"type":"function"}],"max_tokens":100}"#, CapabilityNeeds(tools: true, minContext: 101)),
        (#"{"messages":[],"tools":[],"tool_choice":"none"}"#, CapabilityNeeds(minContext: 1)),
        (#"{"messages":[],"tool_choice":{"type":"function","function":{"name":"f"}}}"#, CapabilityNeeds(tools: true, minContext: 1)),
        (#"{"prompt":"abcdefgh","response_format":{"type":"json_object"},"max_completion_tokens":2}"#, CapabilityNeeds(structuredOutput: true, minContext: 5)),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}]}]}"#,
         CapabilityNeeds(vision: true, minContext: 18)),
    ])
    func needsComeFromTheRequestBody(body: String, needs: CapabilityNeeds) {
        #expect(CapabilityNeeds(requestBody: Data(body.utf8)) == needs)
    }

    @Test func withToolsTheFailoverNeverHandsOverAProviderWithoutThem() async throws {
        let simulators = ["a": 5.0, "b": 60.0].map { name, latency in
            ProviderSimulator(name: name, behavior: SimulatorBehavior(models: ["m-\(name)"], latencyMs: latency))
        }
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet(simulators).withRunning { ports in
                let yaml = """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 1h, timeout: 2s, mode: liveness }
                    providers:
                      - { name: a, kind: openai, base_url: "http://127.0.0.1:\(ports["a"]!)/v1", capabilities: { tools: false, context_length: 8192 }, models: [{ name: m, upstream: m-a }] }
                      - { name: b, kind: openai, base_url: "http://127.0.0.1:\(ports["b"]!)/v1", models: [{ name: m, upstream: m-b, capabilities: { tools: true, context_length: 16384 } }] }
                    """
                let bound = Rendezvous<String>()
                let daemon = try buildServiceGroup(config: try ConfigLoader.parse(yaml: yaml, file: "client.yaml"), options: DaemonOptions(
                    stateDirOverride: directory, listenerEvents: .init(unixBound: { bound.set($0) }), shutdownSignals: [],
                    logger: Logger(label: "switchyard") { _ in SwiftLogNoOpLogHandler() }
                ))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let sy = SwitchyardClient(endpoint: .unixSocket(await bound.value()))
                    let ranked = try await eventually(within: 30) { try await sy.route(model: "m").candidates.map(\.provider) == ["a", "b"] }
                    #expect(ranked, "a (5 ms) should lead without needs")
                    let needs = try #require(CapabilityNeeds(requestBody: Self.withTools))
                    let answer = try await sy.route(model: "m", needs: needs)
                    #expect(answer.candidates.map(\.provider) == ["b"])
                    #expect((answer.excluded ?? []).map { [$0.provider, $0.reason] } == [["a", "no tool calling"]])

                    let tried = Recorder<String>()
                    let served = try await sy.withFailover(model: "m", needs: needs) { candidate in
                        tried.append(candidate.provider)
                        return candidate.provider
                    }
                    #expect(served == "b" && tried.values == ["b"])

                    // A prompt longer than either context: nothing is tried, and the error says why.
                    let refused = await #expect(throws: NoCapableProvider.self) {
                        try await sy.withFailover(model: "m", needs: CapabilityNeeds(minContext: 100_000)) { candidate in
                            tried.append(candidate.provider)
                            return candidate.provider
                        }
                    }
                    #expect(refused?.description == "no provider of m can serve this request: a: context 8192 < 100000 needed; b: context 16384 < 100000 needed")
                    #expect(tried.values == ["b"])
                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
    }
}
