import Foundation
import Logging
import Synchronization
import SwitchyardClient
import SwitchyardSystemd
import Testing

/// Plays systemd's part for `Type=notify`: a datagram socket at `NOTIFY_SOCKET` that
/// records every message the daemon sends, with the time it arrived.
final class NotifySocket: Sendable {
    let path: String
    private let fd: Int32
    private let messages = Mutex<[(at: ContinuousClock.Instant, text: String)]>([])
    private let stopped = Atomic<Bool>(false)

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receive() }
        thread.start()
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            messages.withLock { $0.append((ContinuousClock.now, text)) }
        }
        close(fd)
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    var received: [(at: ContinuousClock.Instant, text: String)] { messages.withLock { $0 } }

    /// Waits (bounded) for a message containing `needle`.
    func waitFor(_ needle: String, within seconds: Double) async throws -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let hit = received.first(where: { $0.text.contains(needle) }) { return hit.at }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

/// Starts the real `switchyard serve` the way systemd would, with a notify socket.
private func startDaemon(in directory: String, notify: NotifySocket, interval: String = "1s", providerPort: Int = 9,
                         environment: [String: String] = [:], arguments: [String] = [], stderrPath: String = "/dev/null") throws -> Process {
    try """
        listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
        probe: { interval: \(interval), timeout: 1s, mode: liveness }
        providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:\(providerPort)/v1", models: [{ name: m }] }]
        """.write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: buildDirectory + "/switchyard")
    process.arguments = ["serve", "--config", directory + "/switchyard.yaml", "--state-dir", directory] + arguments
    process.environment = ["NOTIFY_SOCKET": notify.path, "PATH": "/usr/bin:/bin"].merging(environment) { $1 }
    if stderrPath != "/dev/null" { FileManager.default.createFile(atPath: stderrPath, contents: nil) }
    process.standardError = FileHandle(forWritingAtPath: stderrPath)
    try process.run()
    return process
}

/// Starts `switchyard-sim` serving model `m` on a free loopback port; returns the process and the port.
private func startSimulator() throws -> (Process, Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: buildDirectory + "/switchyard-sim")
    process.arguments = ["--models", "m", "--latency-ms", "1"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle(forWritingAtPath: "/dev/null")
    try process.run()
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line.append(chunk)
    }
    let text = String(decoding: line, as: UTF8.self)
    guard let port = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
        process.terminate()
        throw POSIXError(.EIO)
    }
    return (process, port)
}

/// A TCP connection to 127.0.0.1:`port` that has had `GET /healthz` answered and stays open; nil on failure.
private func keepAliveConnection(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    let request = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
    guard connected == 0, request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
        close(fd)
        return nil
    }
    var answer = ""
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !answer.contains(#"{"status":"ok"}"#) {
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else {
            close(fd)
            return nil
        }
        answer += String(decoding: buffer[0..<count], as: UTF8.self)
    }
    return fd
}

/// Runs `body` in a fresh directory with a notify socket at `notify.sock` in it, stopped after `body`.
private func withNotifySocket(_ body: (_ directory: String, _ notify: NotifySocket) async throws -> Void) async throws {
    try await withTemporaryDirectory { directory in
        let notify = try NotifySocket(path: directory + "/notify.sock")
        defer { notify.stop() }
        try await body(directory, notify)
    }
}

/// `withNotifySocket` with a running `switchyard-sim` too; `body` gets its port. Stopped and reaped after `body`.
private func withNotifySocketAndSimulator(_ body: (_ directory: String, _ notify: NotifySocket, _ simulatorPort: Int) async throws -> Void) async throws {
    try await withNotifySocket { directory, notify in
        let (simulator, port) = try startSimulator()
        defer { stop(simulator) }
        try await body(directory, notify, port)
    }
}

/// Stops a child that is still running and reaps it.
private func stop(_ process: Process) {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
}

@Suite(.timeLimit(.minutes(30))) struct NotifyHarnessTests {
    @Test func readyComesAfterTheListenersAcceptAndSIGTERMStopsCleanly() async throws {
      try await withNotifySocket { directory, notify in
        let process = try startDaemon(in: directory, notify: notify)
        defer { stop(process) }

        let ready = try await notify.waitFor("READY=1", within: 30)
        #expect(ready != nil, "no READY=1: \(notify.received.map(\.text))")
        // READY promises that the listeners accept: the socket answers at once.
        let health = try await DaemonConnection(endpoint: .unixSocket(directory + "/switchyard.sock")).get("/healthz")
        #expect(String(decoding: health, as: UTF8.self).contains("ok"))
        #expect(try await notify.waitFor("STATUS=1 targets:", within: 10) != nil, "\(notify.received.map(\.text))")

        kill(process.processIdentifier, SIGTERM)
        let stopping = try await notify.waitFor("STOPPING=1", within: 20)
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        #expect(stopping != nil && ready != nil && stopping! > ready!)
      }
    }

    /// The wiring of the real process: systemd's WATCHDOG_USEC reaches the watchdog, which pings,
    /// and a wedged scheduler makes it stop and say so. The cadence and the silence while wedged
    /// are asserted exactly on a manual clock in `WatchdogServiceTests`.
    @Test func watchdogIsFedAndStopsWhenTheSchedulerWedges() async throws {
        try await withNotifySocketAndSimulator { directory, notify, port in
            // WatchdogSec=1s; the scheduler (probing a healthy provider every 300 ms) wedges 3 s after start.
            let stderrPath = directory + "/stderr.log"
            let process = try startDaemon(in: directory, notify: notify, interval: "300ms", providerPort: port,
                                          environment: ["WATCHDOG_USEC": "1000000"], arguments: ["--debug-wedge-scheduler-after", "3"],
                                          stderrPath: stderrPath)
            defer { stop(process) }
            let ready = try #require(try await notify.waitFor("READY=1", within: 30))
            let pinged = try await eventually(within: 10) { notify.received.filter { $0.text == "WATCHDOG=1" && $0.at > ready }.count >= 2 }
            #expect(pinged, "\(notify.received.map(\.text))")
            let starved = try await eventually(within: 30) {
                (try? String(contentsOfFile: stderrPath, encoding: .utf8))?.contains("not feeding the systemd watchdog") == true
            }
            #expect(starved, "the wedged daemon did not stop feeding the watchdog")
        }
    }

    @Test func sighupReloadsBetweenReloadingAndReadyAndARefusedReloadKeepsServing() async throws {
        try await withNotifySocketAndSimulator { directory, notify, port in
            let process = try startDaemon(in: directory, notify: notify, providerPort: port)
            defer { stop(process) }
            _ = try #require(try await notify.waitFor("READY=1", within: 30))
            let socket = DaemonConnection(endpoint: .unixSocket(directory + "/switchyard.sock"))

            // A second provider appears in the file; SIGHUP adopts it.
            try """
                listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                probe: { interval: 1s, timeout: 1s, mode: liveness }
                providers:
                  - { name: p, kind: openai, base_url: "http://127.0.0.1:\(port)/v1", models: [{ name: m }] }
                  - { name: q, kind: openai, base_url: "http://127.0.0.1:\(port)/v1", models: [{ name: m }] }
                """.write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
            kill(process.processIdentifier, SIGHUP)
            let reloading = try #require(try await notify.waitFor("RELOADING=1", within: 10), "\(notify.received.map(\.text))")
            try await checkReloadCycle(notify, reloadingAt: reloading)
            let providers = String(decoding: try await socket.get("/v1/providers"), as: UTF8.self)
            #expect(providers.contains(#""name":"q""#), "\(providers)")

            // Ready (every target probed once) before the broken file, so /readyz answers 200 with its details.
            var isReady = false
            for _ in 0..<500 where !isReady {
                isReady = (try? await socket.get("/readyz")) != nil
                if !isReady { try await Task.sleep(for: .milliseconds(20)) }
            }
            // A broken file: refused, reported, and the daemon keeps serving the old configuration.
            try "providers: [ { name: p\n".write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
            let before = notify.received.count
            kill(process.processIdentifier, SIGHUP)
            var refusedAt: ContinuousClock.Instant?
            for _ in 0..<500 where refusedAt == nil {
                refusedAt = notify.received.dropFirst(before).first { $0.text.hasPrefix("RELOADING=1") }?.at
                try await Task.sleep(for: .milliseconds(20))
            }
            let second = try #require(refusedAt, "no RELOADING=1 for the second SIGHUP: \(notify.received.map(\.text))")
            try await checkReloadCycle(notify, reloadingAt: second)
            let ready = String(decoding: try await socket.get("/readyz"), as: UTF8.self)
            #expect(ready.contains(#""reload_problem":""#) && ready.contains("switchyard.yaml:"), "\(ready)")
            #expect(process.isRunning)
            #expect(String(decoding: try await socket.get("/v1/providers"), as: UTF8.self).contains(#""name":"q""#))
        }
    }

    /// RELOADING=1 carries a current MONOTONIC_USEC, and a READY=1 follows it.
    private func checkReloadCycle(_ notify: NotifySocket, reloadingAt: ContinuousClock.Instant) async throws {
        let reloading = try #require(notify.received.first { $0.at == reloadingAt && $0.text.hasPrefix("RELOADING=1") })
        let usecText = try #require(reloading.text.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }?.dropFirst(15), "\(reloading.text)")
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowUsec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        let usec = try #require(UInt64(usecText))
        #expect(usec <= nowUsec && nowUsec - usec < 30_000_000, "MONOTONIC_USEC \(usec) is not a recent CLOCK_MONOTONIC reading (now \(nowUsec))")
        let deadline = ContinuousClock.now + .seconds(10)
        var readyAfter = false
        while !readyAfter && ContinuousClock.now < deadline {
            readyAfter = notify.received.contains { $0.at >= reloadingAt && $0.text.hasPrefix("READY=1") }
            if !readyAfter { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(readyAfter, "no READY=1 after RELOADING=1: \(notify.received.map(\.text))")
    }

    /// `systemd-socket-activate` plays socket activation: it owns both listeners, starts the
    /// daemon on the first connection, and the daemon answers that queued connection and every
    /// later one on the inherited sockets without binding the addresses of its config.
    @Test func socketActivationAdoptsBothListenersAndAnswersTheConnectionThatStartedIt() async throws {
        try await withNotifySocket { directory, notify in
            let tcpPort = unusedLoopbackPort()
            try """
                listen: { tcp: "127.0.0.1:\(unusedLoopbackPort())", unix: "\(directory)/configured.sock" }
                probe: { interval: 5s, timeout: 1s, mode: liveness }
                providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:9/v1", models: [{ name: m }] }]
                """.write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
            process.arguments = ["-l", "127.0.0.1:\(tcpPort)", "-l", directory + "/activated.sock", "--fdname=switchyard:switchyard",
                                 "-E", "NOTIFY_SOCKET=\(notify.path)",
                                 buildDirectory + "/switchyard", "serve", "--config", directory + "/switchyard.yaml", "--state-dir", directory]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            defer { stop(process) }
            var listening = false
            for _ in 0..<250 where !listening {
                listening = FileManager.default.fileExists(atPath: directory + "/activated.sock")
                if !listening { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(listening, "systemd-socket-activate did not create its socket")
            #expect(notify.received.isEmpty, "the daemon must not run before the first connection")

            // This connection starts the daemon; it waits in the inherited socket's queue and is answered.
            let health = try await DaemonConnection(endpoint: .unixSocket(directory + "/activated.sock"), timeoutSeconds: 30).get("/healthz")
            #expect(String(decoding: health, as: UTF8.self).contains("ok"))
            #expect(try await notify.waitFor("READY=1", within: 10) != nil)
            let providers = try await DaemonConnection(endpoint: .url("http://127.0.0.1:\(tcpPort)")).get("/v1/providers")
            #expect(String(decoding: providers, as: UTF8.self).contains(#""name":"p""#))
            #expect(!FileManager.default.fileExists(atPath: directory + "/configured.sock"), "the configured socket was bound despite activation")
            // Admin rules hold on inherited sockets too: the Unix socket may reload, TCP without a token may not.
            let reloaded = try await DaemonConnection(endpoint: .unixSocket(directory + "/activated.sock")).post("/v1/admin/reload")
            #expect(String(decoding: reloaded, as: UTF8.self).contains("reloaded"))
            do {
                _ = try await DaemonConnection(endpoint: .url("http://127.0.0.1:\(tcpPort)")).post("/v1/admin/reload")
                Issue.record("an admin route answered over TCP without a token")
            } catch ClientError.daemon(let status, _, _) {
                #expect(status == 403)
            }

            // A client keeping its connection alive must not hold up shutdown (the idle timeout is 60 s).
            let keptAlive = try #require(keepAliveConnection(port: tcpPort), "no keep-alive answer on the inherited TCP socket")
            defer { close(keptAlive) }
            let stopAsked = ContinuousClock.now
            kill(process.processIdentifier, SIGTERM)  // systemd-socket-activate execs the daemon: same pid
            let deadline = ContinuousClock.now + .seconds(20)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!process.isRunning && process.terminationStatus == 0)
            #expect(ContinuousClock.now - stopAsked < .seconds(10), "shutdown waited for the kept-alive connection")
            #expect(notify.received.contains { $0.text.contains("STOPPING=1") })
        }
    }

    /// `STATUS=` reaches `systemctl status` and the journal: a key in the environment, pasted into
    /// the file, or quoted by a parse error in a refused reload must not appear in any message.
    @Test func notifyMessagesCarryNoSecret() async throws {
        try await withNotifySocket { directory, notify in
            let environmentKey = "hf_" + String((0..<34).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
            let pastedKey = "sk-" + String((0..<48).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".randomElement()! })
            let process = try startDaemon(in: directory, notify: notify, environment: ["SY_PROVIDER_KEY": environmentKey])
            defer { stop(process) }
            _ = try #require(try await notify.waitFor("READY=1", within: 30))
            // A reload that puts the key to use (its provider refuses connections), then refused ones:
            // a key pasted where a variable name belongs, a parse error on the key's line, a key as a value.
            let files = [
                ("configuration reloaded", """
                    listen: { tcp: "", unix: "\(directory)/switchyard.sock" }
                    probe: { interval: 1s, timeout: 1s, mode: liveness }
                    providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: SY_PROVIDER_KEY, models: [{ name: m }] }]
                    """),
                ("reload refused", "providers: [{ name: p, kind: openai, base_url: \"http://127.0.0.1:9/v1\", api_key_env: \(pastedKey), models: [{ name: m }] }]\n"),
                ("reload refused", "providers: [ { name: p, api_key: \"\(pastedKey)\"\n"),
                // A key pasted into a field whose error message quotes the value it got.
                ("reload refused", "providers: [{ name: p, kind: \(pastedKey), base_url: \"http://127.0.0.1:9/v1\", models: [{ name: m }] }]\n"),
            ]
            for (answer, file) in files {
                try file.write(toFile: directory + "/switchyard.yaml", atomically: true, encoding: .utf8)
                let before = notify.received.count
                kill(process.processIdentifier, SIGHUP)
                var seen = false
                for _ in 0..<500 where !seen {
                    seen = notify.received.dropFirst(before).contains { $0.text.contains(answer) }
                    if !seen { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(seen, "no \(answer) reported: \(notify.received.map(\.text))")
            }
            let everything = notify.received.map(\.text).joined(separator: "\n")
            #expect(everything.contains("STATUS="))
            for secret in [environmentKey, pastedKey] { #expect(!everything.contains(secret), "a secret in: \(everything)") }
            #expect(process.isRunning)
        }
    }

    @Test func journalFieldsCarryCodeLocationAndSwitchyardMetadata() {
        let event = LogEvent(level: .warning, message: "target healthy -> ejected", metadata: ["provider": "together", "model": "llama", "event": "state_transition"],
                             source: "SwitchyardDaemon", file: "Daemon.swift", function: "deliver(_:)", line: 42)
        let fields = JournaldLogHandler.fields(for: event, handlerMetadata: ["request-id": "7"], label: "switchyard")
        #expect(fields == [
            "MESSAGE=target healthy -> ejected", "PRIORITY=4", "CODE_FILE=Daemon.swift", "CODE_LINE=42", "CODE_FUNC=deliver(_:)",
            "SYSLOG_IDENTIFIER=switchyard", "SWITCHYARD_LOGGER=switchyard",
            "SWITCHYARD_EVENT=state_transition", "SWITCHYARD_MODEL=llama", "SWITCHYARD_PROVIDER=together", "SWITCHYARD_REQUEST_ID=7",
        ])
    }

    @Test func journalStreamIsRecognisedOnlyForTheRealStderr() {
        var status = stat()
        fstat(STDERR_FILENO, &status)
        #expect(JournaldLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]))
        #expect(!JournaldLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "1:2"]))
        #expect(!JournaldLogHandler.stderrIsJournal(environment: [:]))
    }
}

/// The start-up keep-alive the daemon sends while a long migration runs (`StorageWiring.open`).
@Suite(.timeLimit(.minutes(30))) struct ExtendTimeoutTests {
    @Test func extendTimeoutTellsSystemdHowMuchLongerToWait() async throws {
        try await withTemporaryDirectory { directory in
            let notify = try NotifySocket(path: directory + "/notify")
            defer { notify.stop() }
            setenv("NOTIFY_SOCKET", notify.path, 1)
            defer { unsetenv("NOTIFY_SOCKET") }
            SystemdNotifier().extendTimeout(by: .seconds(30), status: "opening the state database\nmigrating")
            let at = try await notify.waitFor("EXTEND_TIMEOUT_USEC=30000000", within: 5)
            #expect(at != nil, "\(notify.received.map(\.text))")
            #expect(notify.received.first?.text == "EXTEND_TIMEOUT_USEC=30000000\nSTATUS=opening the state database migrating")
        }
    }
}
