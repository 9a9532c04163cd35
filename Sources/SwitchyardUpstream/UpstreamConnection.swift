import NIOCore
import NIOHTTP1
import SwitchyardCore

/// The handler at the end of one upstream connection's pipeline (after NIO's HTTP/1.1 codec):
/// writes an exchange's request, hands its answer over, holds the socket's reads while the
/// reader's buffer is full, and gives the connection back to its pool when the answer ended
/// with keep-alive. Lives on the connection's event loop.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let pool: ConnectionPool
    let key: String
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var keepAlive = false
    /// A read held back while the reader's buffer was full.
    private var readHeld = false

    init(pool: ConnectionPool, key: String) {
        self.pool = pool
        self.key = key
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends `exchange`'s request on this (idle) connection.
    func begin(_ exchange: Exchange, reused: Bool) {
        guard let context, context.channel.isActive else {
            pool.connect(exchange)
            return
        }
        self.exchange = exchange
        exchange.connection = self
        exchange.reused = reused
        keepAlive = false
        let request = exchange.request
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: exchange.url.path)
        head.headers.reserveCapacity(request.headers.count + 3)
        head.headers.add(name: "Host", value: exchange.url.authority)
        for line in request.headers {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
            head.headers.add(name: String(line[..<colon]), value: String(value))
        }
        // The request's builder says its content type; this transport adds none. It asks for the
        // answer as sent (no compression): the gateway checks answers and passes bytes through.
        if !head.headers.contains(name: "Accept-Encoding") {
            head.headers.add(name: "Accept-Encoding", value: "identity")
        }
        head.headers.add(name: "Content-Length", value: String(request.body.count))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !request.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: request.body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        exchange.touch(received: false)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else {
            // Bytes on an idle connection: nothing asked for them, so it cannot be trusted again.
            context.close(promise: nil)
            return
        }
        exchange.touch(received: true)
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx heads (100 Continue) are not the answer.
            guard head.status.code >= 200 || head.status == .switchingProtocols else { return }
            keepAlive = head.isKeepAlive
            exchange.answered(head)
        case .body(let buffer):
            exchange.response.deliver(chunk: Array(buffer.readableBytesView))
        case .end:
            self.exchange = nil
            exchange.finish(nil)
            if keepAlive, context.channel.isActive {
                pool.park(self, channel: context.channel)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if let exchange, exchange.response.isPaused {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// The reader drained its buffer: a held read goes out.
    func resumeReading(for exchange: Exchange) {
        guard self.exchange === exchange, readHeld, let context else { return }
        readHeld = false
        context.read()
    }

    /// Closes the connection under an exchange that ended early (canceled, timed out).
    func abandon(_ exchange: Exchange) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let exchange {
            self.exchange = nil
            exchange.finish(.other(error is HTTPParserError ? "not a valid HTTP answer" : "the connection failed"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pool.forget(self)
        if let exchange {
            self.exchange = nil
            exchange.connection = nil
            if exchange.reused, !exchange.receivedAny, !exchange.retried {
                // The kept-alive connection was closed by the server as the request went out.
                exchange.retried = true
                pool.connect(exchange)
            } else {
                exchange.finish(.other("the connection closed before the answer ended"))
            }
        }
        context.fireChannelInactive()
    }
}
