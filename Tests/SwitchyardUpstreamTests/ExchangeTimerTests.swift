import NIOCore
import NIOEmbedded
import SwitchyardCore
import Testing
@testable import SwitchyardUpstream

/// An upstream exchange's two limits on an embedded event loop's manual clock: the idle timeout
/// between bytes and the whole transfer's limit, each to the millisecond. (`NIOUpstreamTests`
/// checks the same against the simulator in real time.)
@Suite struct ExchangeTimerTests {
    static func exchange(on loop: EmbeddedEventLoop, idle: Double, total: Double) -> Exchange {
        let request = UpstreamRequest(url: "http://127.0.0.1:9/v1/chat/completions", headers: [], body: [],
                                      connectTimeoutSeconds: 1, idleTimeoutSeconds: idle, totalTimeoutSeconds: total)
        let exchange = Exchange(request: request, url: UpstreamURL(request.url)!, response: NIOUpstreamResponse(loop: loop))
        exchange.armTimers()
        return exchange
    }

    /// Open until the last millisecond before `after` has passed, ended as a timeout at it.
    static func expectTimesOut(_ exchange: Exchange, on loop: EmbeddedEventLoop, after: TimeAmount,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        loop.advanceTime(by: after - .milliseconds(1))
        #expect(!exchange.ended, sourceLocation: sourceLocation)
        loop.advanceTime(by: .milliseconds(1))
        #expect(exchange.ended && exchange.response.failure == .timeout, sourceLocation: sourceLocation)
    }

    @Test func noByteForTheIdleTimeoutEndsItAsATimeout() {
        let loop = EmbeddedEventLoop()
        let exchange = Self.exchange(on: loop, idle: 2, total: 60)
        Self.expectTimesOut(exchange, on: loop, after: .seconds(2))
    }

    @Test func eachByteStartsTheIdleTimeoutOver() {
        let loop = EmbeddedEventLoop()
        let exchange = Self.exchange(on: loop, idle: 2, total: 60)
        loop.advanceTime(by: .milliseconds(1500))
        exchange.touch(received: true)
        Self.expectTimesOut(exchange, on: loop, after: .seconds(2))  // 2 s after the byte, 3.5 s in
    }

    @Test func bytesThatKeepComingStopAtTheWholeTransfersLimit() {
        let loop = EmbeddedEventLoop()
        let exchange = Self.exchange(on: loop, idle: 2, total: 5)
        for _ in 0..<8 {  // a byte every 600 ms: never idle
            loop.advanceTime(by: .milliseconds(600))
            exchange.touch(received: true)
        }
        Self.expectTimesOut(exchange, on: loop, after: .milliseconds(200))  // 5 s in
    }

    @Test func anExchangeThatEndedSchedulesNothingMore() {
        let loop = EmbeddedEventLoop()
        let exchange = Self.exchange(on: loop, idle: 2, total: 60)
        loop.advanceTime(by: .milliseconds(500))
        exchange.finish(nil)
        loop.advanceTime(by: .seconds(120))
        #expect(exchange.response.failure == nil, "a whole answer stays whole")
    }
}
