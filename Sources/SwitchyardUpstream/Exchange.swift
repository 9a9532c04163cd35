import NIOCore
import NIOHTTP1
import SwitchyardCore

/// One attempt's request and answer on its way through `NIOUpstream`: its connection, its
/// timers (the idle timeout between bytes and the whole transfer's), and how it ended. Touched
/// only on its event loop, and timed by that loop's clock (`loop.now`: an embedded loop's manual
/// clock in tests).
final class Exchange: @unchecked Sendable {
    // @unchecked: confined to `loop` (every method is called on it).
    let request: UpstreamRequest
    let url: UpstreamURL
    let response: NIOUpstreamResponse
    let loop: any EventLoop
    let started: NIODeadline
    private(set) var lastActivity: NIODeadline
    /// The connection carrying it, once there is one.
    var connection: UpstreamConnection?
    /// Sent on a kept-alive connection: a close before any answer is retried once on a new one.
    var reused = false
    var retried = false
    private(set) var receivedAny = false
    private(set) var ended = false
    /// One timer for both limits: it fires at the earlier of the two and looks again
    /// (`checkTimers`), so a byte arriving moves no timer.
    private var timer: Scheduled<Void>?

    init(request: UpstreamRequest, url: UpstreamURL, response: NIOUpstreamResponse) {
        self.request = request
        self.url = url
        self.response = response
        loop = response.loop
        started = loop.now
        lastActivity = started
    }

    /// Starts the clocks: the whole transfer's limit and the idle timeout.
    func armTimers() {
        schedule(at: min(totalDeadline, lastActivity + Self.amount(request.idleTimeoutSeconds)))
    }

    /// A byte arrived (or was sent): the idle timeout starts over.
    func touch(received: Bool) {
        lastActivity = loop.now
        if received { receivedAny = true }
    }

    func answered(_ head: HTTPResponseHead) {
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        response.deliver(head: UpstreamHead(status: Int(head.status.code), headers: headers,
                                            elapsedSeconds: Double((loop.now - started).nanoseconds) / 1e9))
    }

    /// Ends the exchange (nil: the whole answer came); its connection is the caller's to close or keep.
    func finish(_ failure: UpstreamFailure?) {
        guard !ended else { return }
        ended = true
        timer?.cancel()
        timer = nil
        connection = nil
        response.finish(failure)
    }

    /// The reader went away: the connection is closed (its answer half read) and the exchange ends.
    func cancel() {
        abandon(.canceled)
    }

    /// The reader took enough of the buffer: the connection reads again.
    func resumeReading() {
        lastActivity = loop.now  // time spent paused is not idle time
        connection?.resumeReading(for: self)
    }

    private func expire() {
        abandon(.timeout)
    }

    private func abandon(_ failure: UpstreamFailure) {
        guard !ended else { return }
        let connection = self.connection
        finish(failure)
        connection?.abandon(self)
    }

    private var totalDeadline: NIODeadline { started + Self.amount(request.totalTimeoutSeconds) }

    private func schedule(at deadline: NIODeadline) {
        timer = loop.scheduleTask(deadline: deadline) { [self] in checkTimers() }
    }

    /// Expires the exchange when the whole transfer's limit has passed, or no byte came for the
    /// idle timeout while the reader was taking them; otherwise looks again when the next may pass.
    private func checkTimers() {
        guard !ended else { return }
        let now = loop.now
        let idle = Self.amount(request.idleTimeoutSeconds)
        // Paused by the reader: not idle, however long it takes.
        let idleDue = response.isPaused ? now + idle : lastActivity + idle
        if totalDeadline <= now || idleDue <= now {
            expire()
        } else {
            schedule(at: min(totalDeadline, idleDue))
        }
    }

    static func amount(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64(min(max(seconds, 0.001), 86_400) * 1e9))
    }
}
