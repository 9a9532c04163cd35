import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes

/// What answers a gateway request taken off the pipeline: the code the router runs for it.
struct GatewayResponder: Sendable {
    /// The answer (`APIRoutes.gatewayAnswer`).
    var respond: @Sendable (GatewayEndpoint, Request, APIRequestContext) async -> Response
    /// The cap on a JSON body (`listen.max_body_bytes`).
    var maxBodyBytes: Int
    /// Where answering tasks run: the event loops, so a request stays on the thread that read it.
    var executor: (any TaskExecutor)?
}

/// Answers the gateway's JSON routes (`POST /v1/chat/completions` ...) from the channel pipeline,
/// without Hummingbird's per-connection async bridge: the request's parts are gathered here and
/// its answer is written here, by a task on the connection's event loop. That saves the bridge's
/// sequence and writer state machines on every proxied request, and lets a caller that leaves
/// cancel its task (and its upstream attempt) at once, where Hummingbird's handler would wait for
/// the answer. Every other request — and a gateway request that arrives while an answer of
/// Hummingbird's is still due on the connection — goes on to Hummingbird unchanged.
///
/// It sits after Hummingbird's `HTTPConnectionStateHandler`, so the idle timeout and graceful
/// shutdown see its requests and answers like any other, and after `RequestDeadlineHandler`.
/// HTTP/1.1 order holds: parts that arrive while it answers wait (and reads stop once one
/// waits) until its answer has ended. A caller that goes away (or shuts down its sending side)
/// cancels the answering task, and with it the upstream attempt. Multipart uploads stay with
/// Hummingbird (they stream under their own budget).
final class GatewayChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A gateway request whose body is being read.
    private struct Gathering {
        var endpoint: GatewayEndpoint
        var head: HTTPRequest
        /// The body so far, before the answering task starts.
        var body: ByteBuffer?
        /// The rest of the body, once the task has started before the body was all in.
        var stream: AsyncStream<ByteBuffer>.Continuation?
        /// Bytes passed on so far: kept to one more than the cap, enough for the reader to refuse the body.
        var taken = 0
    }

    private let responder: GatewayResponder
    private let logger: Logger
    private var gathering: Gathering?
    /// The task answering a gateway request; its answer has not ended yet.
    private var answering: Task<Void, Never>?
    /// Requests passed on to Hummingbird whose answers have not ended yet.
    private var passedOn = 0
    /// Parts that arrived while answering, passed on (or taken) once the answer has ended.
    private var waiting: [HTTPRequestPart] = []
    /// A read asked for while answering, issued once the answer has ended.
    private var readHeld = false
    /// Drops the rest of a body its answer did not need (refused at its head, or answered early).
    private var discardingBody = false
    private var writabilityWaiters: [EventLoopPromise<Void>] = []
    private(set) var isActive = true

    init(responder: GatewayResponder, logger: Logger) {
        self.responder = responder
        self.logger = logger
    }

    /// The JSON gateway endpoint a request head is for, if any.
    static func endpoint(of head: HTTPRequest) -> GatewayEndpoint? {
        guard head.method == .post, let target = head.path else { return nil }
        let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
        guard let endpoint = GatewayRoutes.endpoint(atPath: path), endpoint.bodyForm == .json else { return nil }
        return endpoint
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        take(unwrapInboundIn(data), context: context)
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        if discardingBody {
            if case .end = part { discardingBody = false }
            return
        }
        if gathering != nil {
            gather(part, context: context)
            return
        }
        if answering != nil {
            waiting.append(part)
            return
        }
        if case .head(let head) = part {
            if passedOn == 0, let endpoint = Self.endpoint(of: head) {
                gathering = Gathering(endpoint: endpoint, head: head)
                if let declared = head.headerFields[.contentLength].flatMap({ Int($0) }), declared > responder.maxBodyBytes {
                    // Refused at once (413), as the router's body limit does; the body is dropped as it comes.
                    discardingBody = true
                    answer(context: context, body: RequestBody(buffer: ByteBuffer()))
                }
                return
            }
            passedOn += 1
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    private func gather(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head:
            context.close(promise: nil)  // the decoder ends a request before the next head: not reached
        case .body(var bytes):
            let room = responder.maxBodyBytes + 1 - gathering!.taken
            guard room > 0 else { return }
            if bytes.readableBytes > room { bytes = bytes.getSlice(at: bytes.readerIndex, length: room)! }
            gathering!.taken += bytes.readableBytes
            if let stream = gathering!.stream {
                stream.yield(bytes)
            } else if gathering!.body == nil {
                gathering!.body = bytes  // usually the whole body, in one part: kept without a copy
            } else {
                gathering!.body!.writeBuffer(&bytes)
            }
        case .end:
            if let stream = gathering!.stream {
                stream.finish()
                gathering = nil
            } else {
                answer(context: context, body: RequestBody(buffer: gathering!.body ?? ByteBuffer()))
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // A body still coming after this read: the answer starts now (its caller is checked, a slot
        // taken or refused at once) and reads the rest as it arrives.
        if gathering != nil, answering == nil {
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
            if let body = gathering!.body { continuation.yield(body) }
            gathering!.body = nil
            gathering!.stream = continuation
            answer(context: context, body: RequestBody(asyncSequence: stream))
        }
        context.fireChannelReadComplete()
    }

    /// Starts the task that answers the gathered request and writes its answer. The request is
    /// done with here once its body is all in (or being dropped).
    private func answer(context: ChannelHandlerContext, body: RequestBody) {
        let gathered = gathering!
        if gathered.stream == nil { gathering = nil }
        let request = Request(head: gathered.head, body: body)
        let requestContext = APIRequestContext(source: ApplicationRequestContextSource(channel: context.channel, logger: logger))
        let output = GatewayAnswerOutput(context: context, handler: self)
        let closeAfter = gathered.head.headerFields[.connection]?.lowercased() == "close"
        let (respond, endpoint) = (responder.respond, gathered.endpoint)
        answering = Task(executorPreference: responder.executor) {
            let response = await respond(endpoint, request, requestContext)
            await output.write(response)
            output.finish(closingConnection: closeAfter)
        }
    }

    /// Called on the loop when an answer has been written (or given up): what waited goes on.
    func answered(context: ChannelHandlerContext, complete: Bool, closingConnection: Bool) {
        answering = nil
        if let unread = gathering.take() {
            // Answered before its body was all in (refused, say): the rest is dropped as it comes.
            unread.stream?.finish()
            discardingBody = true
        }
        guard isActive else { return }
        if !complete || closingConnection {
            // A cut-off answer leaves the connection unusable; `Connection: close` asked for this.
            context.close(promise: nil)
            return
        }
        let parts = waiting
        waiting = []
        for part in parts { take(part, context: context) }
        if !parts.isEmpty { context.fireChannelReadComplete() }
        if readHeld, answering == nil {
            readHeld = false
            context.read()
        }
    }

    /// A promise kept when the channel can take more bytes (or broken when it closes).
    func whenWritable(context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        guard isActive else { return context.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        let promise = context.eventLoop.makePromise(of: Void.self)
        writabilityWaiters.append(promise)
        return promise.futureResult
    }

    func read(context: ChannelHandlerContext) {
        // Reads go on while an answer is due (a caller that leaves is seen at once, and no epoll
        // change is made per request), until a part of the next request waits: then they stop
        // until the answer has ended, so what waits is at most one read's worth. The answered
        // request's own body (or the part being dropped) is always read on.
        if answering != nil, gathering == nil, !discardingBody, !waiting.isEmpty {
            readHeld = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Hummingbird's answers pass through here; this handler's own are written below it.
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let waiters = writabilityWaiters
            writabilityWaiters = []
            for waiter in waiters { waiter.succeed() }
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A parse error while a gateway request is read or answered: Hummingbird would answer it
        // in the middle of this handler's answer, so the connection is closed instead.
        if gathering != nil || answering != nil {
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionGone()
        context.fireChannelInactive()
    }

    /// Hummingbird's connection state handler, in front, keeps `channelInactive` to itself: a
    /// closed connection is seen here when the pipeline is taken down.
    func handlerRemoved(context: ChannelHandlerContext) {
        connectionGone()
    }

    private func connectionGone() {
        guard isActive else { return }
        isActive = false
        answering?.cancel()  // the caller went away: its upstream attempt stops at once
        gathering.take()?.stream?.finish()
        let waiters = writabilityWaiters
        writabilityWaiters = []
        for waiter in waiters { waiter.fail(ChannelError.ioOnClosedChannel) }
    }
}
