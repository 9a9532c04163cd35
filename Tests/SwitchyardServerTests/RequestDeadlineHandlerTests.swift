import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import SwitchyardServer

/// `RequestDeadlineHandler` on an embedded channel, whose event loop's clock moves only when
/// told: a head or body that does not arrive in time closes the connection, on every request of
/// a kept-alive connection; requests that arrive in time never do, however long the connection lives.
@Suite struct RequestDeadlineHandlerTests {
    static let timeout = TimeAmount.seconds(10)

    /// A connected channel with the handler in place (its first request's head now timed).
    func connection() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: RequestDeadlineHandler(timeout: Self.timeout), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        return (channel, loop)
    }

    /// One request, answered at once: bytes, head, end in; head, end out.
    func serve(_ channel: EmbeddedChannel) throws {
        channel.pipeline.fireUserInboundEventTriggered(RequestBytesArrived())
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/healthz")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
    }

    /// Open until the last millisecond of the timeout from now, closed at it.
    func expectClosedOneTimeoutFromNow(_ channel: EmbeddedChannel, _ loop: EmbeddedEventLoop, _ why: Comment? = nil,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
        loop.advanceTime(by: Self.timeout - .milliseconds(1))
        #expect(channel.isActive, why, sourceLocation: sourceLocation)
        loop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive, sourceLocation: sourceLocation)
    }

    @Test func aConnectionThatSendsNoHeadIsClosedAtTheTimeout() throws {
        let (channel, loop) = try connection()
        expectClosedOneTimeoutFromNow(channel, loop)
    }

    /// Ninety seconds of quick requests, nine timeouts' worth: each moves the deadline, none trips it.
    @Test func requestsThatArriveInTimeKeepTheConnectionOpenPastManyTimeouts() throws {
        let (channel, loop) = try connection()
        for _ in 0..<30 {
            loop.advanceTime(by: .seconds(2))
            try serve(channel)
            loop.advanceTime(by: .seconds(1))
        }
        #expect(channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: false)
    }

    /// Between requests nothing is timed (the idle timeout's business); the next request's head
    /// is timed from its first byte, here a byte that the rest never follows.
    @Test func aHeadDribbledAfterAnAnswerIsCutAtTheTimeoutFromItsFirstByte() throws {
        let (channel, loop) = try connection()
        try serve(channel)
        loop.advanceTime(by: .seconds(60))
        #expect(channel.isActive, "a kept-alive connection between requests is not the header deadline's to close")
        channel.pipeline.fireUserInboundEventTriggered(RequestBytesArrived())
        expectClosedOneTimeoutFromNow(channel, loop)
    }

    @Test func aBodyThatDoesNotFollowItsHeadInTimeClosesTheConnection() throws {
        let (channel, loop) = try connection()
        loop.advanceTime(by: .seconds(5))
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/v1/reports")))
        expectClosedOneTimeoutFromNow(channel, loop, "the body's time runs from its head, not from the connection's start")
    }

    /// While the handler works on a request (head and body in, answer not yet out) nothing is timed.
    @Test func aSlowAnswerIsNotTimed() throws {
        let (channel, loop) = try connection()
        channel.pipeline.fireUserInboundEventTriggered(RequestBytesArrived())
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/v1/chat/completions")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        // A pipelined next request's bytes while this one is answered start no clock either.
        channel.pipeline.fireUserInboundEventTriggered(RequestBytesArrived())
        loop.advanceTime(by: .seconds(120))
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        _ = try channel.finish(acceptAlreadyClosed: false)
    }
}
