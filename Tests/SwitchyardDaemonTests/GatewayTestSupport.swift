import Foundation
import Testing
import Logging
import SwitchyardConfig
import SwitchyardDaemon
import SwitchyardSimulator

/// A real daemon with the gateway in front of two simulators (`a` first, `b` 40 ms slower; model `m`,
/// upstream `m-up`), each with its own configured key. Probes run once at start (1 h
/// interval), so only the test's requests reach the simulators afterwards.
struct GatewayTestDaemon: Sendable {
    static let keys = ["a": "sk-provider-a-\(UUID().uuidString)", "b": "sk-provider-b-\(UUID().uuidString)"]
    /// The bearer tokens of the two clients: `app` (every model) and `narrow` (only `other`, which is not configured).
    static let callerToken = "caller-secret-token"
    static let narrowToken = "narrow-secret-token"
    /// Tokens for clients a test adds with `clientsYAML` (`token_env: LIMITED_TOKEN_1` ...).
    static let limitedTokens = ["limited-token-1", "limited-token-2"]

    var tcpPort: Int
    var directory: String
    var simulators: [String: ProviderSimulator]
    var daemon: Daemon
    var logs: LogCapture

    var address: RawHTTP.Address { .tcp(port: tcpPort) }

    /// `stateDirectory`: the daemon's state directory (kept), for a test that restarts on the same
    /// state; a new temporary one by default.
    /// `providerExtra`: YAML members added to provider `a`'s or `b`'s entry (e.g. `capabilities: { tools: false }, `).
    /// `model`: the name both providers serve `m-up` under.
    static func run(model: String = "m", gatewayYAML: String = "", modelExtra: String = "", listenExtra: String = "", clientsYAML: String = "",
                    providerExtra: [String: String] = [:], stateDirectory: String? = nil,
                    _ body: @Sendable (GatewayTestDaemon) async throws -> Void) async throws {
        if let stateDirectory {
            try await run(in: stateDirectory, model: model, gatewayYAML: gatewayYAML, modelExtra: modelExtra, listenExtra: listenExtra, clientsYAML: clientsYAML,
                          providerExtra: providerExtra, body)
        } else {
            try await withTemporaryDirectory { directory in
                try await run(in: directory, model: model, gatewayYAML: gatewayYAML, modelExtra: modelExtra, listenExtra: listenExtra, clientsYAML: clientsYAML,
                              providerExtra: providerExtra, body)
            }
        }
    }

    private static func run(in directory: String, model: String, gatewayYAML: String, modelExtra: String, listenExtra: String, clientsYAML: String,
                            providerExtra: [String: String], _ body: @Sendable (GatewayTestDaemon) async throws -> Void) async throws {
        let simulators = [
            "a": ProviderSimulator(name: "a", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 1)),
            "b": ProviderSimulator(name: "b", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 40)),
        ]
        let fleet = SimulatorFleet([simulators["a"]!, simulators["b"]!])
        let logs = LogCapture()
        try await fleet.withRunning(logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })) { ports in
            let yaml = """
                listen: { tcp: "127.0.0.1:0", unix: "\(directory)/switchyard.sock"\(listenExtra) }
                probe: { interval: 1h, timeout: 2s, connect_timeout: 500ms, mode: liveness }
                routing: { stability_margin: 90% }
                clients:
                  - { name: app, token_env: CALLER_TOKEN }
                  - { name: narrow, token_env: NARROW_TOKEN, models: [other] }
                \(clientsYAML)
                \(gatewayYAML)
                providers:
                  - { name: a, kind: openai, base_url: "http://127.0.0.1:\(ports["a"]!)/v1", api_key_env: KEY_A,
                      price: { input_per_mtok: 1, output_per_mtok: 2 }, \(providerExtra["a"] ?? "")models: [{ name: \(model), upstream: m-up\(modelExtra) }] }
                  - { name: b, kind: openai, base_url: "http://127.0.0.1:\(ports["b"]!)/v1", api_key_env: KEY_B,
                      \(providerExtra["b"] ?? "")models: [{ name: \(model), upstream: m-up\(modelExtra) }] }
                """
            let config = try ConfigLoader.parse(yaml: yaml, file: "gateway-test.yaml")
            let tcpPort = Rendezvous<Int>()
            var options = DaemonOptions(
                stateDirOverride: directory, environment: ["KEY_A": keys["a"]!, "KEY_B": keys["b"]!, "CALLER_TOKEN": callerToken, "NARROW_TOKEN": narrowToken,
                              "LIMITED_TOKEN_1": limitedTokens[0], "LIMITED_TOKEN_2": limitedTokens[1]],
                listenerEvents: .init(tcpBound: { tcpPort.set($0) }), shutdownSignals: [], logger: logs.logger()
            )
            options.probeStartSpreadSeconds = 0  // both targets probed at once: ready without waiting out a spread
            let daemon = try buildServiceGroup(config: config, options: options)
            try await whileRunning(daemon) {
                let running = GatewayTestDaemon(tcpPort: await tcpPort.value(), directory: directory, simulators: simulators, daemon: daemon, logs: logs)
                // Every target probed once, so `a` (1 ms) leads `b` (40 ms); generous for sanitizer builds.
                let ready = try await eventually(within: 60) { daemon.readiness.current.isReady }
                try #require(ready, "the first probe round did not finish")
                try await body(running)
            }
        }
    }

    /// A POST of `json` to `path` with a caller's bearer token.
    func post(_ path: String, _ json: String, token: String? = GatewayTestDaemon.callerToken) async throws -> RawHTTP.Answer {
        try await RawHTTP.exchange(address, "POST", path, headers: ["Content-Type: application/json"] + (token.map { ["Authorization: Bearer \($0)"] } ?? []), body: json)
    }

    /// A GET of `path` with a caller's bearer token.
    func get(_ path: String, token: String? = GatewayTestDaemon.callerToken) async throws -> RawHTTP.Answer {
        try await RawHTTP.exchange(address, "GET", path, headers: token.map { ["Authorization: Bearer \($0)"] } ?? [])
    }

    func metrics() async throws -> String { try await RawHTTP.exchange(address, "GET", "/metrics").body }

    /// The value of an unlabelled series on `/metrics` now (a gauge), nil if it is not there.
    func series(_ name: String) async throws -> Double? {
        let line = try await metrics().split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// `a` fails with `fault`; a chat asking for `a` then `b` must be answered 200 by `b` on the
    /// second attempt. Returns the answer for the test's own checks.
    @discardableResult
    func chatFailedOverToB(from fault: SimulatorBehavior.Fault, sourceLocation: SourceLocation = #_sourceLocation) async throws -> RawHTTP.Answer {
        simulators["a"]!.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1, fault: fault))
        let answer = try await post("/v1/chat/completions", #"{"model":"m","messages":[],"provider":{"order":["a","b"]}}"#)
        #expect(answer.status == 200, "\(answer.payload)", sourceLocation: sourceLocation)
        #expect(answer.headers["x-switchyard-provider"] == "b", sourceLocation: sourceLocation)
        #expect(answer.headers["x-switchyard-attempts"] == "2", sourceLocation: sourceLocation)
        return answer
    }

    /// Every simulator streams six tokens and then fails with `fault`; a streamed chat for `m` must
    /// come back 200 from its first attempt (no failover after the first byte) with the events
    /// before the fault. Returns the answer for the test's own checks.
    func streamedChat(breakingWith fault: SimulatorBehavior.Fault, _ comment: Comment? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> RawHTTP.Answer {
        for simulator in simulators.values {
            simulator.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 1, fault: fault, completionTokens: 6))
        }
        let answer = try await post("/v1/chat/completions", #"{"model":"m","stream":true,"messages":[]}"#)
        #expect(answer.status == 200, sourceLocation: sourceLocation)
        #expect(answer.headers["x-switchyard-attempts"] == "1", "no failover after the first byte", sourceLocation: sourceLocation)
        #expect(answer.payload.contains(#""content":"OK""#), comment, sourceLocation: sourceLocation)
        return answer
    }
}

extension RawHTTP.Answer {
    /// The body with HTTP/1.1 chunked framing removed (as sent when the length was not known up front).
    var payload: String {
        guard headers["transfer-encoding"]?.lowercased() == "chunked" else { return body }
        let bytes = Array(body.utf8)
        var out: [UInt8] = []
        var index = 0
        while let lineEnd = bytes[index...].firstRange(of: [13, 10]) {
            guard let size = Int(String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self), radix: 16), size > 0 else { break }
            let end = min(bytes.count, lineEnd.upperBound + size)
            out += bytes[lineEnd.upperBound..<end]
            index = min(bytes.count, end + 2)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The payload as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]) ?? [:]
    }
}
