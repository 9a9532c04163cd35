import Foundation
import Synchronization

/// The sockets of a slow-client test, opened on the test's own thread: each connects, is made
/// non-blocking and sends its first bytes; the test waits on `openedCount` until all are open.
final class SlowSockets: Sendable {
    /// One open socket, its index in connecting order and when it connected.
    struct Opened: Sendable {
        var fd: Int32
        var index: Int
        var at: ContinuousClock.Instant
    }

    private let opened = Atomic<Int>(0)

    var openedCount: Int { opened.load(ordering: .relaxed) }

    /// Opens up to `count` sockets to `address`. `ready` runs on each (still blocking) socket first
    /// and may refuse it, which closes it; `first` is sent once the socket is non-blocking.
    func open(_ count: Int, to address: RawHTTP.Address, first: String, ready: (Int32) -> Bool = { _ in true }) -> [Opened] {
        var sockets: [Opened] = []
        for index in 0..<count {
            guard let fd = try? RawHTTP.connectSocket(address) else { continue }
            let at = ContinuousClock.now
            guard ready(fd) else {
                close(fd)
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            Self.send(fd, first)
            sockets.append(Opened(fd: fd, index: index, at: at))
            opened.add(1, ordering: .relaxed)
        }
        return sockets
    }

    /// Sends `text` on `fd`; false when nothing could be sent (the peer is gone).
    @discardableResult
    static func send(_ fd: Int32, _ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } > 0
    }
}
