import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import SwitchyardConfig
import SwitchyardCore

/// Serves the same responder as the Hummingbird listeners on a socket that is already bound
/// and listening: one handed over by systemd socket activation. Hummingbird 2 binds only by
/// address, so this adopts the descriptor with NIO's `ServerBootstrap.bind(_ socket:)` and
/// runs Hummingbird's HTTP/1.1 channel on every accepted connection, the way its own server does.
struct InheritedSocketServer<Responder: HTTPResponder>: Service where Responder.Context: RequestContext,
    Responder.Context.Source == ApplicationRequestContextSource {
    let descriptor: Int32
    let responder: Responder
    let limits: ServerLimits
    let peers: PeerConnectionCap
    let continuePolicy: ContinuePolicy
    /// Answers the gateway's JSON routes off the pipeline, as on the bound listeners.
    let gateway: GatewayResponder?
    let onRunning: @Sendable (any Channel) async -> Void
    let logger: Logger

    func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let http1 = HTTP1Channel(responder: { request, responseWriter, channel in
            let context = Responder.Context(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch {
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = HTTPDateCache.shared.now()
            response.headers[.server] = "switchyard"
            try await responseWriter.write(response: response.head, body: response.body)
        }, configuration: limits.http1Configuration)
        let http = GuardedHTTP1Channel(http: http1, peers: peers, continuePolicy: continuePolicy, gateway: gateway)
        // The connection cap: a slot is taken before the next connection is accepted, so beyond
        // the cap connections wait in the kernel's queue, as with the Hummingbird listeners.
        let slots = ConcurrencyLimiter(limit: limits.maxConnections)

        // On shutdown the quiescing helper closes the listener and tells every connection to
        // finish: idle kept-alive ones close at once, busy ones after their response.
        let quiescing = ServerQuiescingHelper(group: MultiThreadedEventLoopGroup.singleton)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .bind(descriptor, serverBackPressureStrategy: .init(lowWatermark: 1, highWatermark: 2)) { channel in
                http.setup(channel: channel, logger: logger)
            }
        await onRunning(server.channel)
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        var accepted = connections.makeAsyncIterator()
                        while await slots.acquire() {
                            guard let connection = try await accepted.next() else {
                                slots.release()
                                break
                            }
                            group.addTask {
                                await http.handle(value: connection, logger: logger)
                                slots.release()
                            }
                        }
                    } catch {
                        logger.error("the inherited listener stopped accepting connections: \(error)")
                    }
                }
            }
        } onGracefulShutdown: {
            quiescing.initiateShutdown(promise: nil)
        }
    }
}
