import NIOCore
import NIOHTTP1

/// Answers `Expect: 100-continue`. curl and every libcurl-based client send it with bodies over
/// 1 MiB (a transcription upload, say) and then wait a second for the `100 Continue` before
/// sending anyway; Hummingbird never sends it, so each such call lost that second.
///
/// The 100 goes out as soon as the request's head is read and it is this request's turn to be
/// answered (a pipelined request waits for the answers before it), unless:
/// - its declared length is over the route's cap: the route answers 413 from the head alone,
///   and the client need not send what would be refused;
/// - it comes over TCP to a route that asks for a caller (the gateway's, reports) without a
///   client token that would be accepted: the route answers 401 before reading a byte of it;
/// - its own final answer has started by then (an early refusal needs no 100);
/// - it is HTTP/1.0, which has no 1xx answers (RFC 9110 §10.1.1).
/// Sits in front of NIO's HTTPTypes codec: it reads NIO's request heads and sees every answer's
/// parts on their way out.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: ContinuePolicy
    /// Requests whose heads were read, and answers whose ends were written: the difference is
    /// the answers owed, and `answersEnded` is the ordinal of the request answered now.
    private var headsRead = 0
    private var answersEnded = 0
    /// Whether the answer being written now (to request `answersEnded`) has started.
    private var answerStarted = false
    /// The request owed a 100 once its turn comes, with its HTTP version.
    private var owed: (ordinal: Int, version: HTTPVersion)?

    init(policy: ContinuePolicy) { self.policy = policy }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            let ordinal = headsRead
            headsRead += 1
            if wantsContinue(head, overTCP: !context.channel.isUnixSocket) {
                owed = (ordinal, head.version)
                sendOwedContinue(context)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var ended = false
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200 || head.status == .switchingProtocols:
            // A final answer (an application's own 1xx is not one: the final answer is still to come).
            answerStarted = true
            if owed?.ordinal == answersEnded { owed = nil }  // answered before its body was asked for
        case .end:
            answersEnded += 1
            answerStarted = false
            ended = true
        case .head, .body:
            break
        }
        context.write(data, promise: promise)
        if ended { sendOwedContinue(context) }
    }

    private func wantsContinue(_ head: HTTPRequestHead, overTCP: Bool) -> Bool {
        guard head.version.major == 1, head.version.minor >= 1,
              head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) else { return false }
        let path = String(head.uri.prefix { $0 != "?" })
        if let declared = head.headers.first(name: "content-length").flatMap(Int.init),
           policy.cap.refuses(path: path, contentLength: declared) {
            return false
        }
        return !(overTCP && policy.refusesTCPCaller(path, head.headers.first(name: "authorization")))
    }

    /// Writes the owed 100 when its request is the one being answered and its answer has not started.
    private func sendOwedContinue(_ context: ChannelHandlerContext) {
        guard let request = owed, request.ordinal == answersEnded, !answerStarted else { return }
        owed = nil
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .continue))), promise: nil)
    }
}

/// Which `Expect: 100-continue` requests are asked for their body (`ExpectContinueHandler`).
struct ContinuePolicy: Sendable {
    /// The body caps by route: a declared length over its cap is refused from the head.
    var cap: BodyCap
    /// Whether a TCP request to `path` with this `Authorization` value (nil when absent) would be
    /// refused for its caller before its body is read.
    var refusesTCPCaller: @Sendable (_ path: String, _ authorization: String?) -> Bool = { _, _ in false }
}

extension Channel {
    /// Whether this is a connection on a Unix socket (its callers are known by `SO_PEERCRED`, not by token).
    var isUnixSocket: Bool {
        if case .unixDomainSocket = localAddress { return true }
        return false
    }
}
