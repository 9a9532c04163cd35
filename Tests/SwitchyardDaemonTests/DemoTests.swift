import Foundation
import Logging
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

    @Test func theLoopsLineSaysWhenTheCallFailedOver() {
        let line = DemoGatewayLoop.line(status: 200, headers: ["x-switchyard-provider": "sim-fast", "x-switchyard-attempts": "2"], milliseconds: 41)
        #expect(line == "gateway: 200 sim-fast   2 attempts    41 ms  (failed over)")
        #expect(DemoGatewayLoop.line(status: 0, headers: [:], milliseconds: 3) == "gateway: --- -          0 attempts     3 ms")
    }
}
