import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1
import Synchronization

/// Counts open connections per peer IP address on one listener and refuses those beyond
/// `limit` (`listen.max_connections_per_peer`), so one host cannot take a listener's every
/// slot. Unix socket peers have no address and are not counted.
final class PeerConnectionCap: Sendable {
    let limit: Int
    private let open = Mutex<[String: Int]>([:])
    private let refused: @Sendable () -> Void

    /// - Parameter refused: called once per refused connection (the metric).
    init(limit: Int, refused: @escaping @Sendable () -> Void = {}) {
        self.limit = limit
        self.refused = refused
    }

    /// Whether the connection may stay; an admitted one is counted until it closes.
    func admit(_ channel: any Channel) -> Bool {
        guard let peer = channel.remoteAddress?.ipAddress else { return true }
        let admitted = open.withLock { open in
            guard open[peer, default: 0] < limit else { return false }
            open[peer, default: 0] += 1
            return true
        }
        guard admitted else {
            refused()
            return false
        }
        channel.closeFuture.whenComplete { [self] _ in
            open.withLock { open in
                let left = open[peer, default: 1] - 1
                open[peer] = left > 0 ? left : nil
            }
        }
        return true
    }

    /// Open connections from `peer` now (for tests and the status of a listener).
    func openConnections(from peer: String) -> Int { open.withLock { $0[peer] ?? 0 } }
}

/// Hummingbird's HTTP/1 channel with two guards in front: the per-peer connection cap, and the
/// byte watcher that lets `RequestDeadlineHandler` time every request's head; and, given a
/// `gateway`, the handler that answers the gateway's JSON routes off the pipeline.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http: HTTP1Channel
    let peers: PeerConnectionCap
    /// Which `Expect: 100-continue` requests get their 100 (`ExpectContinueHandler`).
    let continuePolicy: ContinuePolicy
    var gateway: GatewayResponder?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            if !peers.admit(channel) {
                // Closed once active, so the server's own bookkeeping (connection slots) runs as for any connection.
                try channel.pipeline.syncOperations.addHandler(CloseOnActive())
            }
            try channel.pipeline.syncOperations.addHandler(RequestBytesWatcher())
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http.setup(channel: channel, logger: logger).flatMapThrowing { [continuePolicy, gateway] value in
            let operations = channel.pipeline.syncOperations
            // On NIO's HTTP/1 parts (it needs the request's version), in front of the HTTPTypes codec.
            try operations.addHandler(ExpectContinueHandler(policy: continuePolicy), position: .before(try operations.handler(type: HTTP1ToHTTPServerCodec.self)))
            if let gateway {
                // Behind Hummingbird's connection state (idle timeout, graceful shutdown), before its async bridge.
                try operations.addHandler(GatewayChannelHandler(responder: gateway, logger: logger),
                                          position: .after(try operations.handler(type: HTTPConnectionStateHandler.self)))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

/// Closes its connection as soon as it is active: a connection refused by the per-peer cap.
final class CloseOnActive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
