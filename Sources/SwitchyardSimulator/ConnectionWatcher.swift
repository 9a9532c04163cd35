import NIOCore
import Synchronization

/// Notices that the caller closed its side of a connection (the simulator's server keeps a
/// half-closed connection open, so `isActive` does not say it). Added to a connection's
/// pipeline the first time a request on it waits for its answer; requests answered at once
/// add nothing, so benchmarks of an instant simulator pay nothing.
final class ConnectionWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    private let closed = Atomic<Bool>(false)

    /// Whether the caller has closed its side (or the connection is gone).
    var callerClosed: Bool { closed.load(ordering: .relaxed) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent { closed.store(true, ordering: .relaxed) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed.store(true, ordering: .relaxed)
        context.fireChannelInactive()
    }

    /// The connection's watcher, added first in its pipeline if it has none yet.
    static func watching(_ channel: any Channel) async -> ConnectionWatcher? {
        try? await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            if let existing = try? pipeline.handler(type: ConnectionWatcher.self) { return existing }
            let watcher = ConnectionWatcher()
            try pipeline.addHandler(watcher, position: .first)
            return watcher
        }.get()
    }
}
