import Foundation
import Synchronization
import SwitchyardClient
import Testing

/// Limits of the listeners: a slow-header attack neither holds connections for long nor keeps
/// other clients from being served; bodies over the cap get 413.
@Suite(.serialized) struct ServerLimitsTests {
    static let slowSockets = 120

    @Test func slowHeaderClientsAreCutOffWhileEveryoneElseIsServed() async throws {
        try await APITestDaemon.run(listenExtra: ", header_timeout: 1s, idle_timeout: 3s, max_connections: 256, max_body_bytes: 4096") { daemon in
            let attack = SlowHeaderAttack(port: daemon.tcpPort, sockets: Self.slowSockets)
            let started = ContinuousClock.now
            async let attackDone = offPool { attack.run(forSeconds: 6) }
            #expect(try await eventually(within: 5) { attack.openedCount == Self.slowSockets }, "could not open \(Self.slowSockets) sockets")

            // Normal clients, on both listeners, throughout the attack.
            var served = 0
            var failures: [String] = []
            for round in 0..<20 {
                for connection in [daemon.tcp(), daemon.unix] {
                    do {
                        _ = try await connection.get(round.isMultiple(of: 2) ? "/healthz" : "/v1/providers")
                        served += 1
                    } catch {
                        failures.append("\(error)")
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let result = try await attackDone
            print("slowloris: \(Self.slowSockets) slow sockets, \(result.closedByServer) closed by the server, last after \(result.lastClosedAfter.map { "\($0)" } ?? "-"); \(served) of 40 normal requests served in \(ContinuousClock.now - started)")
            #expect(failures.isEmpty, "normal requests failed during the attack: \(failures.prefix(3))")
            #expect(served == 40)
            #expect(result.closedByServer == Self.slowSockets, "only \(result.closedByServer) of \(Self.slowSockets) slow sockets were closed by the server")

            // Bodies over max_body_bytes: 413, declared or not.
            let big = String(repeating: "x", count: 5000)
            let declared = try await RawHTTP.exchange(.tcp(port: daemon.tcpPort), "POST", "/v1/reports", body: big)
            #expect(declared.status == 413)
            #expect(declared.body.contains(#""code":"body_too_large""#))
            let onAdmin = try await RawHTTP.exchange(.unix(path: daemon.socketPath), "POST", "/v1/admin/providers/a/drain", body: big)
            #expect(onAdmin.status == 413)
            _ = try await daemon.tcp().get("/healthz")
        }
    }
}

/// Opens sockets that send a request line and then one header line every 200 ms, never
/// finishing the head; records which ones the server closes (a read returning 0 or an error).
final class SlowHeaderAttack: Sendable {
    struct Result: Sendable {
        var closedByServer: Int
        var lastClosedAfter: Duration?
    }

    let port: Int
    let sockets: Int
    private let opened = Atomic<Int>(0)

    init(port: Int, sockets: Int) {
        self.port = port
        self.sockets = sockets
    }

    var openedCount: Int { opened.load(ordering: .relaxed) }

    /// Blocking: call on its own thread (the test detaches it).
    func run(forSeconds seconds: Double) -> Result {
        let start = ContinuousClock.now
        var fds: [Int32] = []
        for _ in 0..<sockets {
            guard let fd = try? RawHTTP.connectSocket(.tcp(port: port)) else { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            sendText(fd, "GET /v1/providers HTTP/1.1\r\nHost: localhost\r\n")
            fds.append(fd)
            opened.add(1, ordering: .relaxed)
        }
        var closed = Set<Int32>()
        var lastClosed: Duration?
        var line = 0
        while ContinuousClock.now - start < .seconds(seconds) && closed.count < fds.count {
            line += 1
            for fd in fds where !closed.contains(fd) {
                var byte: UInt8 = 0
                let read = recv(fd, &byte, 1, 0)
                let gone = read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                if gone || !sendText(fd, "X-Slow-\(line): dribble\r\n") {
                    closed.insert(fd)
                    lastClosed = ContinuousClock.now - start
                }
            }
            usleep(200_000)
        }
        for fd in fds { close(fd) }
        return Result(closedByServer: closed.count, lastClosedAfter: lastClosed)
    }

    @discardableResult
    private func sendText(_ fd: Int32, _ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } > 0
    }
}
