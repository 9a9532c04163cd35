import Foundation
import SwitchyardClient
import SwitchyardConfig
import SwitchyardDaemon
import SwitchyardServer
import SwitchyardSimulator
import Testing

/// The status page as a browser sees it: a real daemon probing simulated providers, one
/// of them made to fail, and the page loaded by headless Chromium, whose DOM is checked.
@Suite(.serialized, .timeLimit(.minutes(30))) struct StatusPageBrowserTests {
    @Test func chromiumShowsEveryTargetItsStateASparklineAndTheEvents() async throws {
        guard let chromium = Chromium.find() else {
            Issue.record("chromium is not installed: run `make deps` (the Debian package chromium is in APT_PACKAGES)")
            return
        }
        let steady = ProviderSimulator(name: "steady", behavior: SimulatorBehavior(models: ["m-up", "n-up"], latencyMs: 5))
        let failing = ProviderSimulator(name: "failing", behavior: SimulatorBehavior(models: ["m-up"], latencyMs: 8))
        let fleet = SimulatorFleet([steady, failing])

        try await withTemporaryDirectory { directory in
            try await fleet.withRunning { ports in
                let yaml = """
                    listen: { tcp: "127.0.0.1:0", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 200ms, timeout: 1s, connect_timeout: 500ms, mode: completion }
                    providers:
                      - { name: steady, kind: openai, base_url: "http://127.0.0.1:\(ports["steady"]!)/v1",
                          price: { input_per_mtok: 0.1, output_per_mtok: 0.2 },
                          models: [{ name: m, upstream: m-up }, { name: n, upstream: n-up },
                                   { name: img, upstream: n-up, task: text-to-image, probe: { mode: liveness, interval: 200ms } }] }
                      - { name: failing, kind: openai, base_url: "http://127.0.0.1:\(ports["failing"]!)/v1",
                          models: [{ name: m, upstream: m-up }] }
                    """
                let config = try ConfigLoader.parse(yaml: yaml, file: "page.yaml")
                let tcpPort = Rendezvous<Int>()
                let daemon = try buildServiceGroup(config: config, options: DaemonOptions(
                    stateDirOverride: directory, listenerEvents: .init(tcpBound: { tcpPort.set($0) }), shutdownSignals: [], logger: LogCapture().logger()
                ))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await daemon.run() }
                    let unix = DaemonConnection(endpoint: .unixSocket("\(directory)/switchyard.sock"))
                    let port = await tcpPort.value()

                    // A few probes of every target, then one injected failure mode: `failing` answers 500.
                    let probed = try await eventually(within: 20) {
                        let providers = String(decoding: try await unix.get("/v1/providers"), as: UTF8.self)
                        return providers.components(separatedBy: #""state":"healthy""#).count - 1 == 4
                    }
                    #expect(probed, "the four targets never became healthy")
                    failing.setBehavior(SimulatorBehavior(models: ["m-up"], latencyMs: 8, fault: .serverError))
                    let failed = try await eventually(within: 20) {
                        let events = String(decoding: try await unix.get("/v1/events"), as: UTF8.self)
                        return events.contains(#""provider":"failing""#) && events.contains(#""to":"ejected""#)
                    }
                    #expect(failed, "the failing target was never ejected")

                    let dom = try await offPool { try chromium.dumpDOM(url: "http://127.0.0.1:\(port)/", scratch: directory) }
                    let viaUnix = String(decoding: try await unix.get("/"), as: UTF8.self)
                    #expect(PageDOM.rows(viaUnix).count == 4, "the page is served on the Unix socket too")
                    await daemon.serviceGroup.triggerGracefulShutdown()
                    try await tasks.waitForAll()

                    let rows = PageDOM.rows(dom)
                    #expect(rows.count == 4, "expected one row per target, got \(rows.count):\n\(dom.prefix(2000))")
                    let states = Dictionary(rows.map { (PageDOM.attribute("data-provider", in: $0) + "/" + PageDOM.attribute("data-model", in: $0),
                                                        PageDOM.attribute("data-state", in: $0)) }, uniquingKeysWith: { $1 })
                    #expect(states == ["failing/m": "ejected", "steady/m": "healthy", "steady/n": "healthy", "steady/img": "healthy"])
                    // Targets are grouped by task: a chat group, then a text-to-image group holding the image target.
                    let groups = dom.components(separatedBy: #"<tr class="task-group" data-task=""#).dropFirst()
                    #expect(groups.map { String($0.prefix { $0 != "\"" }) } == ["chat", "text-to-image"], "\(dom.prefix(3000))")
                    #expect(PageDOM.rows(String(groups.last ?? "")).map { PageDOM.attribute("data-model", in: $0) } == ["img"])
                    #expect(PageDOM.rows(String(groups.first ?? "")).allSatisfy { PageDOM.attribute("data-task", in: $0) == "chat" })
                    for row in rows {
                        #expect(row.components(separatedBy: "<svg").count - 1 == 1, "each row has one sparkline")
                        #expect(row.contains(#"<path class="latency""#), "every target had successes this hour: its sparkline has a latency line")
                    }
                    let failingRow = rows.first { $0.contains(#"data-provider="failing""#) } ?? ""
                    #expect(failingRow.contains("server_error"), "the last error is shown")
                    #expect(failingRow.contains(#"<rect class="bad""#), "the failed minute is red")
                    #expect(dom.contains(#"id="readiness""#) && dom.contains(#"data-ready="true""#))
                    #expect(dom.contains(#"<meta http-equiv="refresh" content="10">"#))
                    let events = dom.components(separatedBy: #"<li class="event""#).dropFirst()
                    #expect(events.contains { $0.contains(#"data-from="unknown" data-to="healthy""#) })
                    #expect(events.contains { $0.contains(#"data-to="ejected""#) && $0.contains("failing / m") })
                }
            }
        }
    }
}

/// The headless browser the test drives.
struct Chromium {
    let path: String

    /// `chromium` on PATH (or in /usr/bin), nil when not installed.
    static func find() -> Chromium? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        for directory in directories {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return Chromium(path: "\(directory)/\(name)")
            }
        }
        return nil
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The DOM after load, serialised by Chromium; blocking (run it off the cooperative pool), killed after `timeout` seconds.
    func dumpDOM(url: String, scratch: String, timeout: Double = 60) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(scratch)/chromium-profile", "--dump-dom", url]
        let output = Pipe()
        let logPath = "\(scratch)/chromium.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        process.standardOutput = output
        process.standardError = log  // a file, not a pipe: Chromium's chatter cannot fill a buffer and stall it
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        guard process.terminationStatus == 0, !data.isEmpty else {
            throw Failure(description: "chromium --dump-dom \(url) exited \(process.terminationStatus): \(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(2000))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Pieces of the serialised DOM.
enum PageDOM {
    /// Each `<tr class="target …">…</tr>`.
    static func rows(_ dom: String) -> [String] {
        dom.components(separatedBy: #"<tr class="target "#).dropFirst().map { $0.components(separatedBy: "</tr>")[0] }
    }

    /// The value of the first `name="…"` in `html`, "" when absent.
    static func attribute(_ name: String, in html: String) -> String {
        guard let start = html.range(of: "\(name)=\"") else { return "" }
        return String(html[start.upperBound...].prefix { $0 != "\"" })
    }
}
