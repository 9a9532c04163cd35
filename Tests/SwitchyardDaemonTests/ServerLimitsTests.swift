import Foundation
import Synchronization
import SwitchyardClient
import Testing

/// Limits of the listeners: a slow-header attack neither holds connections for long nor keeps
/// other clients from being served; bodies over the cap get 413.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ServerLimitsTests {
    static let slowSockets = 120

    @Test func slowHeaderClientsAreCutOffWhileEveryoneElseIsServed() async throws {
        try await APITestDaemon.run(listenExtra: ", header_timeout: 1s, idle_timeout: 3s, max_connections: 256, max_connections_per_peer: 256, max_body_bytes: 4096") { daemon in
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

extension ServerLimitsTests {
    /// At `max_connections` a listener stops accepting: the next client waits until the idle
    /// timeout frees a slot, and the other listener (the Unix socket) keeps answering meanwhile.
    @Test func theConnectionCapQueuesNewClientsUntilIdleOnesAreClosed() async throws {
        try await APITestDaemon.run(listenExtra: ", idle_timeout: 2s, max_connections: 4") { daemon in
            // Four kept-alive connections, each served once, then idle.
            let idle = try await offPool { try (0..<4).map { _ in try KeptAliveSocket(port: daemon.tcpPort) } }
            let idleSince = ContinuousClock.now
            let fifth = try await RawHTTP.exchange(.unix(path: daemon.socketPath), "GET", "/healthz")
            #expect(fifth.status == 200, "the Unix socket must not be held up by a full TCP listener")
            let queued = try await offPool { () -> (Int, ContinuousClock.Instant) in
                let fd = try RawHTTP.connectSocket(.tcp(port: daemon.tcpPort))
                defer { close(fd) }
                let answer = KeptAliveSocket.exchange(fd)
                return (answer.contains(#"{"status":"ok"}"#) ? 200 : 0, ContinuousClock.now)
            }
            #expect(queued.0 == 200, "the queued client was never served")
            // Without the cap it is answered in milliseconds; with it, only once the 2 s idle timeout frees a slot.
            // (Compared with the idle sockets' start, not their close times, which other threads observe late under load.)
            #expect(queued.1 - idleSince >= .milliseconds(1500), "the fifth connection was served while four were open: no cap")
            for socket in idle { close(socket.fd) }
        }
    }
}

extension ServerLimitsTests {
    /// `header_timeout` holds for every request of a kept-alive connection: a client that is served
    /// once and then dribbles its next request's head is cut off after `header_timeout`, long
    /// before the idle timeout (which alone bounded it before the deadline was re-armed).
    @Test func slowHeadersOnAKeptAliveConnectionAreCutOffToo() async throws {
        try await APITestDaemon.run(listenExtra: ", header_timeout: 1s, idle_timeout: 60s") { daemon in
            let attack = SlowHeaderAttack(port: daemon.tcpPort, sockets: 16, servedFirst: true)
            let result = try await offPool { attack.run(forSeconds: 8) }
            print("slowloris on kept-alive connections: \(result.closedByServer) of 16 closed by the server, last after \(result.lastClosedAfter.map { "\($0)" } ?? "-")")
            #expect(result.closedByServer == 16, "a later request's head was not timed: \(result.closedByServer) of 16 closed")
            // The connection was usable until it dribbled: a second quick request on it is answered.
            let socket = try await offPool { try KeptAliveSocket(port: daemon.tcpPort) }
            defer { close(socket.fd) }
            let again = try await offPool { KeptAliveSocket.exchange(socket.fd) }
            #expect(again.contains(#"{"status":"ok"}"#))
        }
    }

    /// `max_connections_per_peer`: one address gets that many TCP connections; the next is closed
    /// at once and counted, a slot frees when one closes, and the Unix socket is not capped.
    @Test func connectionsFromOnePeerAreCapped() async throws {
        try await APITestDaemon.run(listenExtra: ", max_connections_per_peer: 3") { daemon in
            let held = try await offPool { try (0..<3).map { _ in try KeptAliveSocket(port: daemon.tcpPort) } }
            let refused = try await offPool { () -> String in
                let fd = try RawHTTP.connectSocket(.tcp(port: daemon.tcpPort))
                defer { close(fd) }
                return KeptAliveSocket.exchange(fd)
            }
            #expect(refused.isEmpty, "a fourth connection from the same address was served: \(refused.prefix(80))")
            let unix = try await RawHTTP.exchange(.unix(path: daemon.socketPath), "GET", "/metrics")
            #expect(unix.status == 200)
            #expect(unix.body.contains("switchyard_listener_refused_connections_total 1\n"), "the refusal was not counted")
            close(held[0].fd)
            #expect(try await eventuallyOffPool(within: 5) {
                let fd = try RawHTTP.connectSocket(.tcp(port: daemon.tcpPort))
                defer { close(fd) }
                return KeptAliveSocket.exchange(fd).contains(#"{"status":"ok"}"#)
            }, "a slot did not free when a connection closed")
            for socket in held.dropFirst() { close(socket.fd) }
        }
    }
}

/// A TCP connection that has had one request answered and stays open (HTTP/1.1 keep-alive).
struct KeptAliveSocket: Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = try RawHTTP.connectSocket(.tcp(port: port))
        _ = Self.exchange(fd)
    }

    /// Sends `GET /healthz` and reads until the answer's body has arrived.
    static func exchange(_ fd: Int32) -> String {
        let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
        _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(#"{"status":"ok"}"#) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return received
    }
}

/// Opens sockets that send a request line and then one header line every 200 ms, never
/// finishing the head; records which ones the server closes (a read returning 0 or an error).
struct SlowHeaderAttack: Sendable {
    struct Result: Sendable {
        var closedByServer: Int
        var lastClosedAfter: Duration?
    }

    let port: Int
    let sockets: Int
    /// Each socket first has one request answered, then dribbles its second (kept-alive connection).
    var servedFirst = false
    let slow = SlowSockets()

    var openedCount: Int { slow.openedCount }

    /// Blocking: call on its own thread (the test detaches it).
    func run(forSeconds seconds: Double) -> Result {
        let start = ContinuousClock.now
        let fds = slow.open(sockets, to: .tcp(port: port), first: "GET /v1/providers HTTP/1.1\r\nHost: localhost\r\n") { fd in
            !servedFirst || KeptAliveSocket.exchange(fd).contains(#"{"status":"ok"}"#)
        }.map(\.fd)
        var closed = Set<Int32>()
        var lastClosed: Duration?
        var line = 0
        while ContinuousClock.now - start < .seconds(seconds) && closed.count < fds.count {
            line += 1
            for fd in fds where !closed.contains(fd) {
                var byte: UInt8 = 0
                let read = recv(fd, &byte, 1, 0)
                let gone = read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                if gone || !SlowSockets.send(fd, "X-Slow-\(line): dribble\r\n") {
                    closed.insert(fd)
                    lastClosed = ContinuousClock.now - start
                }
            }
            usleep(200_000)
        }
        for fd in fds { close(fd) }
        return Result(closedByServer: closed.count, lastClosedAfter: lastClosed)
    }
}
