import Foundation
import Logging
import SwitchyardClient
import SwitchyardConfig
import SwitchyardDaemon
import SwitchyardSimulator
import Testing

/// `switchyard demo`'s wiring: the built-in configuration against its running simulators, with
/// the gateway answering the curl line the demo prints (TCP, no token) and the demo's loop.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DemoTests {
    @Test func aGatewayCallThroughTheDemoAnswersWithTheServedByHeaders() async throws {
        let fleet = SimulatorFleet(Demo.simulators())
        try await withTemporaryDirectory { directory in
            try await fleet.withRunning(logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })) { ports in
                let socket = directory + "/switchyard.sock"
                let config = Demo.configuration(ports: ports, tcp: HostPort(host: "127.0.0.1", port: 0), unixSocket: socket, stateDir: directory)
                let summary = Demo.summary(tcp: HostPort(host: "127.0.0.1", port: 7464), unixSocket: socket, stateDir: directory)
                #expect(summary.contains("curl --unix-socket \(socket) http://localhost/v1/chat/completions"))
                #expect(summary.contains("curl -i http://127.0.0.1:7464/v1/chat/completions"))
                let tcpPort = Rendezvous<Int>()
                let logs = LogCapture()
                let daemon = try buildServiceGroup(config: config, options: DaemonOptions(
                    listenerEvents: .init(tcpBound: { tcpPort.set($0) }), shutdownSignals: [], logger: logs.logger()
                ))
                try await whileRunning(daemon) {
                    try await Self.exercise(daemon: daemon, port: await tcpPort.value(), socket: socket)
                }
            }
        }
    }

    static func exercise(daemon: Daemon, port: Int, socket: String) async throws {
        _ = try await eventually(within: 10) { daemon.readiness.current.isReady }
        // The printed TCP line, as pasted: no token.
        let body = #"{"model":"llama-3.1-8b","messages":[{"role":"user","content":"hi"}]}"#
        let answer = try await RawHTTP.exchange(.tcp(port: port), "POST", "/v1/chat/completions", headers: ["Content-Type: application/json"], body: body)
        #expect(answer.status == 200, "\(answer.body)")
        #expect(["sim-flaky", "sim-fast", "sim-cheap"].contains(answer.headers["x-switchyard-provider"] ?? ""))
        #expect(answer.headers["x-switchyard-upstream-model"] == "llama-3.1-8b")
        #expect(Int(answer.headers["x-switchyard-attempts"] ?? "") ?? 0 >= 1)
        // The printed Unix-socket line.
        let viaSocket = try await RawHTTP.exchange(.unix(path: socket), "POST", "/v1/chat/completions", headers: ["Content-Type: application/json"], body: body)
        #expect(viaSocket.status == 200 && viaSocket.headers["x-switchyard-provider"] != nil)
        // The demo's loop prints one line per call: status, provider, attempts.
        let line = await DemoGatewayLoop(tcp: HostPort(host: "127.0.0.1", port: port)).call()
        #expect(line.hasPrefix("gateway: 200 sim-"), "\(line)")
        #expect(line.contains("attempt"))
        // The status page counts the three calls.
        let page = try await RawHTTP.exchange(.unix(path: socket), "GET", "/")
        #expect(page.body.contains(#"<tr class="gw" data-model="llama-3.1-8b" data-requests="3""#), "\(page.body)")
    }

    /// The demo's image model: both providers probed by completion (a real PNG each time), routed
    /// as text-to-image targets, and sim-pixel, the faster, failing now and then.
    @Test func theImageModelIsProbedByCompletionOnBothProvidersAndItsFastestFails() async throws {
        let simulators = Demo.simulators()
        let pixel = try #require(simulators.first { $0.name == "sim-pixel" }), easel = try #require(simulators.first { $0.name == "sim-easel" })
        // Fail every request of sim-pixel for this test: "now and then" on a controlled schedule.
        var failing = pixel.currentBehavior
        failing.errorRate = 1
        pixel.setBehavior(failing)
        try await withTemporaryDirectory { directory in
            try await SimulatorFleet(simulators).withRunning(logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })) { ports in
                let socket = directory + "/switchyard.sock"
                let config = Demo.configuration(ports: ports, tcp: nil, unixSocket: socket, stateDir: directory)
                let images = config.providers.filter { $0.models.contains { $0.task == .textToImage } }
                #expect(images.map(\.name.rawValue).sorted() == ["sim-easel", "sim-pixel"])
                #expect(images.allSatisfy { $0.models.allSatisfy { $0.probe.mode == .completion && $0.name.rawValue == Demo.imageModel } })
                #expect(Demo.summary(tcp: nil, unixSocket: socket, stateDir: directory).contains("route?model=\(Demo.imageModel)&task=text-to-image"))
                var options = DaemonOptions(shutdownSignals: [], logger: LogCapture().logger())
                options.probeStartSpreadSeconds = 0
                let daemon = try buildServiceGroup(config: config, options: options)
                try await whileRunning(daemon) {
                    let settled = try await eventually(within: 30) {
                        let route = try await SwitchyardClient(endpoint: .unixSocket(socket)).route(model: Demo.imageModel, task: .textToImage)
                        // sim-pixel must have failed a probe: before its first one it is merely unknown.
                        return route.candidates.first?.provider == "sim-easel" && pixel.stats["server_errors"] ?? 0 > 0
                            && route.candidates.contains { $0.provider == "sim-pixel" && $0.state != .healthy }
                    }
                    #expect(settled, "sim-easel never led the image route over a failing sim-pixel")
                }
                #expect(easel.recordedRequests.contains { $0.path == "/v1/images/generations" }, "completion probes ask for images")
                #expect(pixel.stats["server_errors"] ?? 0 > 0)
            }
        }
    }

    @Test func theLoopsLineSaysWhenTheCallFailedOver() {
        let line = DemoGatewayLoop.line(status: 200, headers: ["x-switchyard-provider": "sim-fast", "x-switchyard-attempts": "2"], milliseconds: 41)
        #expect(line == "gateway: 200 sim-fast   2 attempts    41 ms  (failed over)")
        #expect(DemoGatewayLoop.line(status: 0, headers: [:], milliseconds: 3) == "gateway: --- -          0 attempts     3 ms")
    }
}
