import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import SwitchyardConfig

/// Closes a connection whose request does not arrive in time, on every request of a kept-alive
/// connection, not just the first:
/// - the first request's head must be complete within `timeout` of connecting;
/// - a later request's head must be complete within `timeout` of its first byte (between
///   requests, before any byte, Hummingbird's idle timeout closes a silent connection);
/// - a body must be complete within `timeout` of its head.
/// While a handler is answering nothing is timed. So a client that dribbles bytes (slowloris)
/// holds a connection for `timeout` at most, whichever request it dribbles.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// When the current wait ends (nil: nothing is timed now).
    private var due: NIODeadline?
    /// Fires at or before `due` and looks again: moving `due` costs no timer, so a kept-alive
    /// connection schedules one timer per `timeout`, not two per request.
    private var check: Scheduled<Void>?
    /// Requests whose head has arrived and whose response has not been written in full.
    private var requestsInFlight = 0

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context)  // waiting for the first request's head
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is RequestBytesArrived else { return context.fireUserInboundEventTriggered(event) }
        // Bytes while no request is open start the next request: its head is now timed.
        if requestsInFlight == 0 && due == nil { arm(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestsInFlight += 1
            arm(context)  // now the body must follow in time
        case .end:
            due = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            requestsInFlight = max(0, requestsInFlight - 1)
        }
        context.write(data, promise: promise)
    }

    /// The wait starts now and ends `timeout` from now.
    private func arm(_ context: ChannelHandlerContext) {
        let due = context.eventLoop.now + timeout
        self.due = due
        if check == nil { scheduleCheck(at: due, context) }
    }

    private func scheduleCheck(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        check = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            check = nil
            guard let due else { return }  // nothing timed: the next wait schedules again
            if due <= loopBound.value.eventLoop.now {
                loopBound.value.close(promise: nil)
            } else {
                scheduleCheck(at: due, loopBound.value)
            }
        }
    }

    private func stop() {
        due = nil
        check?.cancel()
        check = nil
    }
}

/// Told up the pipeline by `RequestBytesWatcher` when bytes arrive, before the HTTP decoder sees them.
struct RequestBytesArrived {}

/// Sits in front of the HTTP decoder so `RequestDeadlineHandler` learns when a request starts,
/// which the decoder says only once the whole head is in.
final class RequestBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(RequestBytesArrived())
        context.fireChannelRead(data)
    }
}

/// The most bytes a request's body may have, by route: a multipart upload's
/// `gateway.max_upload_bytes` (read per request: reloads change it), else `listen.max_body_bytes`.
struct BodyCap: Sendable {
    let maxBytes: Int
    var uploadMaxBytes: @Sendable () -> Int? = { nil }

    /// The upload cap when `path` is a multipart gateway route and the gateway is on, else nil.
    func uploadLimit(forPath path: String) -> Int? {
        guard let endpoint = GatewayRoutes.endpoint(atPath: path), endpoint.bodyForm == .multipart else { return nil }
        return uploadMaxBytes()
    }

    /// Whether a request to `path` declaring `contentLength` bytes is over its cap.
    func refuses(path: String, contentLength: Int) -> Bool {
        contentLength > (uploadLimit(forPath: path) ?? maxBytes)
    }
}

/// Answers 413 before a handler runs when the declared body is larger than the cap;
/// bodies without a length are capped where they are read.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let cap: BodyCap

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard let declared = request.headers[.contentLength].flatMap({ Int($0) }), cap.refuses(path: path, contentLength: declared) else {
            return try await next(request, context)
        }
        // A declared length over the cap is refused before a byte is read: an upload against its own,
        // larger limit; the gateway's routes in the OpenAI shape the SDKs read.
        if let upload = cap.uploadLimit(forPath: path) {
            return GatewayBody.tooLarge(limit: upload, setting: "gateway.max_upload_bytes").response(ServedBy())
        }
        if GatewayRoutes.isGatewayPath(path), let refusal = GatewayRoutes.declaredTooLarge(request, maxBytes: cap.maxBytes) { return refusal }
        throw APIError(.contentTooLarge, code: "body_too_large", message: "request bodies are limited to \(cap.maxBytes) bytes (listen.max_body_bytes)")
    }
}

extension ServerLimits {
    /// Hummingbird's HTTP/1 server with these limits; `peers` caps connections per peer address;
    /// `continuePolicy` decides which `Expect: 100-continue` get their 100; `gateway` answers the
    /// gateway's JSON routes off the pipeline (`GatewayChannelHandler`).
    func serverBuilder(peers: PeerConnectionCap, continuePolicy: ContinuePolicy, gateway: GatewayResponder?) -> HTTPServerBuilder {
        let configuration = http1Configuration
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http: HTTP1Channel(responder: responder, configuration: configuration), peers: peers, continuePolicy: continuePolicy, gateway: gateway)
        }
    }

    /// The HTTP/1 channel settings: header deadline and idle timeout (also for inherited sockets).
    var http1Configuration: HTTP1Channel.Configuration {
        let timeout = TimeAmount.nanoseconds(Int64(headerTimeoutSeconds * 1e9))
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(timeout: timeout)],
            idleTimeout: .nanoseconds(Int64(idleTimeoutSeconds * 1e9))
        )
    }
}
