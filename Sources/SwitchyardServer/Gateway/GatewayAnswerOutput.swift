import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Writes one answer of `GatewayChannelHandler` onto its connection, from the task that made it.
/// Every write happens on the channel's event loop (at once when the task already runs there,
/// which is the usual case). A whole answer goes out in one flush; a stream is flushed chunk by
/// chunk and waits while the caller's socket is full (backpressure).
final class GatewayAnswerOutput: Sendable {
    private let loop: any EventLoop
    private let bound: NIOLoopBound<Parts>

    private final class Parts {
        let context: ChannelHandlerContext
        let handler: GatewayChannelHandler
        /// Whether the answer's end has been written.
        var ended = false

        init(context: ChannelHandlerContext, handler: GatewayChannelHandler) {
            self.context = context
            self.handler = handler
        }
    }

    /// Made on the channel's loop, by the handler.
    init(context: ChannelHandlerContext, handler: GatewayChannelHandler) {
        loop = context.eventLoop
        bound = NIOLoopBound(Parts(context: context, handler: handler), eventLoop: context.eventLoop)
    }

    /// Writes the answer: its head (with `Date` and `Server`, as Hummingbird's listeners add them) and body.
    func write(_ response: Response) async {
        var head = response.head
        head.headerFields[.date] = HTTPDateCache.shared.now()
        head.headerFields[.server] = "switchyard"
        let length = response.body.contentLength
        do {
            // A stream's head goes at once (its first event may be seconds away); a whole answer's with its body.
            if length == nil { try await emit(head: head, flush: true) }
            try await response.body.write(BodyWriter(output: self, head: length == nil ? nil : head, length: length))
        } catch {
            // The caller has gone; `finish` closes what is left.
        }
    }

    /// Hands the connection back to its handler once the answer is written (or given up).
    func finish(closingConnection: Bool) {
        onLoop { parts in
            parts.handler.answered(context: parts.context, complete: parts.ended, closingConnection: closingConnection)
        }
    }

    /// Writes the parts given, in order: the head (when not yet sent), a body part, the end. A body
    /// part that leaves the caller's socket full waits until it drains (backpressure).
    fileprivate func emit(head: HTTPResponse?, body: ByteBuffer? = nil, end: Bool = false, trailers: HTTPFields? = nil,
                          flush: Bool) async throws {
        let full: EventLoopFuture<Void>? = try await onLoopThrowing { parts in
            guard parts.handler.isActive, parts.context.channel.isActive else { throw ChannelError.ioOnClosedChannel }
            let (context, handler) = (parts.context, parts.handler)
            if let head { context.write(handler.wrapOutboundOut(.head(head)), promise: nil) }
            if let body { context.write(handler.wrapOutboundOut(.body(body)), promise: nil) }
            if end {
                context.write(handler.wrapOutboundOut(.end(trailers)), promise: nil)
                parts.ended = true
            }
            guard flush else { return nil }
            context.flush()
            return body == nil || context.channel.isWritable ? nil : handler.whenWritable(context: context)
        }
        try await full?.get()
    }

    private func onLoop(_ work: @escaping @Sendable (Parts) -> Void) {
        if loop.inEventLoop {
            work(bound.value)
        } else {
            loop.execute { [bound] in work(bound.value) }
        }
    }

    private func onLoopThrowing<Value: Sendable>(_ work: @escaping @Sendable (Parts) throws -> Value) async throws -> Value {
        if loop.inEventLoop { return try work(bound.value) }
        return try await loop.submit { [bound] in try work(bound.value) }.get()
    }

    /// Hummingbird's body writer interface over this output: the head goes with the first write.
    private struct BodyWriter: ResponseBodyWriter {
        let output: GatewayAnswerOutput
        var head: HTTPResponse?
        let length: Int?
        var written = 0

        init(output: GatewayAnswerOutput, head: HTTPResponse?, length: Int?) {
            self.output = output
            self.head = head
            self.length = length
        }

        mutating func write(_ buffer: ByteBuffer) async throws {
            written += buffer.readableBytes
            // The whole declared length is in: the end follows at once, so one flush takes both.
            try await output.emit(head: head.take(), body: buffer, flush: written != length)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
            try await output.emit(head: head.take(), end: true, trailers: trailingHeaders, flush: true)
        }
    }
}
