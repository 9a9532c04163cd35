import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import SwitchyardConfig

/// Closes a connection whose request does not arrive in time: the head must come within
/// `timeout` of connecting, and a body within `timeout` of its head. Between requests on
/// a kept-alive connection Hummingbird's idle timeout applies. So a client that dribbles
/// bytes (slowloris) holds a connection for a bounded time only.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context)  // waiting for the first request's head
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            disarm()
            arm(context)  // now the body must follow in time
        case .end:
            disarm()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    private func arm(_ context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}

/// Answers 413 before a handler runs when the declared body is larger than the cap;
/// bodies without a length are capped where they are read.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let text = request.headers[.contentLength], let length = Int(text), length > maxBytes {
            let message = "request bodies are limited to \(maxBytes) bytes (listen.max_body_bytes)"
            if GatewayRoutes.isGatewayPath(request.uri.path) {  // the OpenAI SDKs read their own error shape
                return OpenAIError(status: .contentTooLarge, type: "invalid_request_error", code: "body_too_large", message: message).response(ServedBy())
            }
            throw APIError(.contentTooLarge, code: "body_too_large", message: "request bodies are limited to \(maxBytes) bytes (listen.max_body_bytes)")
        }
        return try await next(request, context)
    }
}

extension ServerLimits {
    /// Hummingbird's HTTP/1 server with these limits.
    var serverBuilder: HTTPServerBuilder { .http1(configuration: http1Configuration) }

    /// The HTTP/1 channel settings: header deadline and idle timeout (also for inherited sockets).
    var http1Configuration: HTTP1Channel.Configuration {
        let timeout = TimeAmount.nanoseconds(Int64(headerTimeoutSeconds * 1e9))
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(timeout: timeout)],
            idleTimeout: .nanoseconds(Int64(idleTimeoutSeconds * 1e9))
        )
    }
}
