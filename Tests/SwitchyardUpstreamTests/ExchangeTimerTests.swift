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

    @Test func noByteForTheIdleTimeoutEndsItAsATimeout() {
        let loop = EmbeddedEventLoop()
        let exchange = Self.exchange(on: loop, idle: 2, total: 60)
        loop.advanceTime(by: .milliseconds(1999))
        #expect(!exchange.ended)
        loop.advanceTime(by: .milliseconds(1))
        #expect(exchange.ended && exchange.response.failure == .timeout)
    }

    @Test func eachByteStartsTheIdleTimeoutOver() {
        let loop = EmbeddedEventLoop()
        let exchange = Self.exchange(on: loop, idle: 2, total: 60)
        loop.advanceTime(by: .milliseconds(1500))
        exchange.touch(received: true)
        loop.advanceTime(by: .milliseconds(1999))  // 3.5 s in, 2 s less 1 ms since the byte
        #expect(!exchange.ended)
        loop.advanceTime(by: .milliseconds(1))
        #expect(exchange.ended && exchange.response.failure == .timeout)
    }

    @Test func bytesThatKeepComingStopAtTheWholeTransfersLimit() {
        let loop = EmbeddedEventLoop()
        let exchange = Self.exchange(on: loop, idle: 2, total: 5)
        for _ in 0..<8 {  // a byte every 600 ms: never idle
            loop.advanceTime(by: .milliseconds(600))
            exchange.touch(received: true)
        }
        loop.advanceTime(by: .milliseconds(199))  // 4.999 s in
        #expect(!exchange.ended)
        loop.advanceTime(by: .milliseconds(1))
        #expect(exchange.ended && exchange.response.failure == .timeout)
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
