import Foundation
import SwitchyardConfig
import SwitchyardProbe

/// The demo's built-in gateway caller: one chat completion every few seconds, each printed
/// as one line (provider served, attempts, latency, from the `x-switchyard-*` headers), so a
/// failover shows in the terminal when `sim-flaky`'s outage starts and ends.
public struct DemoGatewayLoop: Sendable {
    /// The gateway's base, e.g. `http://127.0.0.1:7464`.
    public var base: String
    public var model: String
    let transport: CurlEngine

    /// Calls the gateway on `tcp` with its own libcurl engine.
    public init(tcp: HostPort, model: String = Demo.models[0]) {
        base = "http://\(tcp)"
        self.model = model
        transport = CurlEngine(maxHostConnections: 1, maxIdleConnections: 1)
    }

    /// One call through the gateway, described in one line.
    public func call() async -> String {
        transport.start()  // the first call starts the engine's thread
        let body = #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}],"max_tokens":4}"#
        let started = ContinuousClock.now
        let result = await transport.perform(HTTPRequest(
            url: base + "/v1/chat/completions", method: .post, headers: ["Content-Type: application/json"],
            body: Array(body.utf8), connectTimeoutSeconds: 1, timeoutSeconds: 30
        ))
        let elapsed = ContinuousClock.now - started
        return Self.line(status: result.status, headers: result.headers, milliseconds: Int(elapsed / .milliseconds(1)))
    }

    /// `gateway: 200 sim-fast     2 attempts   41 ms  (failed over)`.
    public static func line(status: Int, headers: [String: String], milliseconds: Int) -> String {
        let provider = headers["x-switchyard-provider"].flatMap { $0.isEmpty ? nil : $0 } ?? "-"
        let attempts = Int(headers["x-switchyard-attempts"] ?? "") ?? 0
        let padded = provider.padding(toLength: max(provider.count, 10), withPad: " ", startingAt: 0)
        var line = "gateway: \(status == 0 ? "---" : String(status)) \(padded) \(attempts) attempt\(attempts == 1 ? " " : "s") \(String(format: "%5d", milliseconds)) ms"
        if attempts > 1 { line += "  (failed over)" }
        return line
    }

    /// Calls every `interval` until cancelled, handing each line to `print`.
    public func run(every interval: Duration = .seconds(2), print: @Sendable (String) -> Void) async {
        while !Task.isCancelled {
            print(await call())
            try? await Task.sleep(for: interval)
        }
    }
}
