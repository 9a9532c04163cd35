import Foundation
import Hummingbird
import NIOCore

/// The request context of the API: besides Hummingbird's core, the connection's channel,
/// so handlers know which listener a request came in on and, on the Unix socket, who sent it.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Which kind of listener accepted the connection.
    public var listener: Listener {
        channel.isUnixSocket ? .unix : .tcp
    }

    /// The peer's user id, from `SO_PEERCRED` (Unix socket only; nil elsewhere or when the kernel does not say).
    public func peerUID() async -> UInt32? {
        guard listener == .unix, let provider = channel as? any SocketOptionProvider else { return nil }
        let credentials: PeerCredentials? = try? await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).get()
        return credentials?.uid
    }
}

/// The two kinds of listener.
public enum Listener: String, Sendable {
    case tcp, unix
}

/// `struct ucred` of Linux, as `getsockopt(SO_PEERCRED)` fills it.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
