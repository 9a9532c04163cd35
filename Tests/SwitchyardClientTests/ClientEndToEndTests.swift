import Foundation
import Logging
import SwitchyardClient
import SwitchyardConfig
import SwitchyardCore
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// The Swift client against the real daemon (Unix socket) and simulated providers on loopback.
// Serialized: daemons, simulators and libcurl transfers share a 2-core machine.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ClientEndToEndTests {
    /// One chat completion to `candidate` over libcurl; a provider's error answer becomes `ProviderHTTPError`.
    static func chat(_ candidate: ProviderCandidate) async throws -> String {
        let body = Data(#"{"model":"\#(candidate.upstreamModel)","messages":[{"role":"user","content":"hi"}],"max_tokens":4}"#.utf8)
        do {
            let answer = try await DaemonConnection(endpoint: .url(candidate.baseURL), timeoutSeconds: 5).post("/chat/completions", json: body)
            return (try JSONSerialization.jsonObject(with: answer) as? [String: Any])?["model"] as? String ?? ""
        } catch ClientError.daemon(let status, _, let message) {
            throw ProviderHTTPError(status: status, message: message)
        }
    }

    @Test func failsOverWhenTheTopProviderStartsFailingAndFallsBackWhenTheDaemonStops() async throws {
        let simulators = ["a": 5.0, "b": 25.0, "c": 150.0].map { name, latency in
            ProviderSimulator(name: name, behavior: SimulatorBehavior(models: ["m-\(name)"], latencyMs: latency))
        }
        let byName = Dictionary(uniqueKeysWithValues: simulators.map { ($0.name, $0) })
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet(simulators).withRunning { ports in
                let providers = ["a", "b", "c"].map { name in
                    #"  - { name: \#(name), kind: openai, base_url: "http://127.0.0.1:\#(ports[name]!)/v1", models: [{ name: m, upstream: m-\#(name) }] }"#
                }
                let yaml = """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 2s, timeout: 2s, max_tokens: 4 }
                    providers:
                    \(providers.joined(separator: "\n"))
                    """
                let bound = Rendezvous<String>()
                let daemon = try buildServiceGroup(config: try ConfigLoader.parse(yaml: yaml, file: "client.yaml"), options: DaemonOptions(
                    stateDirOverride: directory, listenerEvents: .init(unixBound: { bound.set($0) }), shutdownSignals: [],
                    logger: Logger(label: "switchyard") { _ in SwiftLogNoOpLogHandler() }
                ))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let socket = await bound.value()
                    // The client's time stands still until the test moves it past the route cache's TTL.
                    let clock = ManualClock(epoch: SystemWallClock().now())
                    var options = ClientOptions()
                    options.clock = clock.wall
                    options.failureCooldownSeconds = 0  // only the daemon's route steers the calls
                    options.staticRoutes = ["m": ["c", "b", "a"].map {
                        ProviderCandidate(provider: $0, upstreamModel: "m-\($0)", baseURL: "http://127.0.0.1:\(ports[$0]!)/v1")
                    }]
                    let sy = SwitchyardClient(endpoint: .unixSocket(socket), options: options)
                    let ranked = try await eventually(within: 15) {
                        try await sy.route(model: "m").candidates.map(\.provider) == ["a", "b", "c"]
                    }
                    #expect(ranked, "the route never ranked a, b, c")

                    var served: [String] = []
                    for _ in 0..<3 { served.append(try await sy.withFailover(model: "m", Self.chat)) }
                    byName["a"]!.setBehavior(SimulatorBehavior(models: ["m-a"], latencyMs: 5, fault: .serverError))
                    for _ in 0..<6 { served.append(try await sy.withFailover(model: "m", Self.chat)) }
                    #expect(served == Array(repeating: "m-a", count: 3) + Array(repeating: "m-b", count: 6))

                    await sy.flushReports()
                    #expect(sy.reportStats.dropped == 0 && sy.reportStats.failed == 0 && sy.reportStats.sent >= 9)
                    let ejected = try await eventually(within: 5) {
                        try await sy.route(model: "m").candidates.map(\.provider) == ["b", "c"]
                    }
                    #expect(ejected, "three reported failures did not take a out of the route")

                    // The daemon stops: the static order (c first) serves, and the client still succeeds.
                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                    #expect(try await sy.candidates(model: "m").source == .daemon)  // cached, though the daemon is gone
                    clock.advance(by: .seconds(1))  // the cached route expires (TTL 1 s)
                    #expect(try await sy.candidates(model: "m").source == .fallback)
                    #expect(try await sy.withFailover(model: "m", Self.chat) == "m-c")
                }
            }
        }
    }
}
