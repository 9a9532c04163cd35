import NIOCore
import NIOPosix
import SwitchyardCore

/// The gateway's transport for plain-HTTP upstreams (a local vLLM, Ollama or TGI, the simulator):
/// HTTP/1.1 over NIO on the event loop of the thread that sends, which is the listener's own when
/// the gateway runs on `EventLoopAffineExecutor` (its `executor`), with kept-alive connections
/// pooled per loop and upstream. A request and its upstream attempt then stay on one thread.
/// TLS upstreams go to libcurl instead (`ByScheme`).
public final class NIOUpstream: UpstreamTransport {
    private let group: MultiThreadedEventLoopGroup
    private let pools: [ObjectIdentifier: ConnectionPool]
    private let affine: EventLoopAffineExecutor

    public init(group: MultiThreadedEventLoopGroup = .singleton) {
        self.group = group
        var pools: [ObjectIdentifier: ConnectionPool] = [:]
        for loop in group.makeIterator() { pools[ObjectIdentifier(loop)] = ConnectionPool(loop: loop) }
        self.pools = pools
        affine = EventLoopAffineExecutor(group: group)
    }

    public func send(_ request: UpstreamRequest) -> any UpstreamResponse {
        let loop = affine.loop
        let pool = pools[ObjectIdentifier(loop)]!
        let response = NIOUpstreamResponse(loop: loop)
        if loop.inEventLoop {
            pool.start(request, response)
        } else {
            loop.execute { pool.start(request, response) }
        }
        return response
    }

    /// Its attempts run on the event loops (`EventLoopAffineExecutor`).
    public var executor: (any TaskExecutor)? { affine }

    /// Connections opened and idle, summed over the loops.
    func connectionCounts() async throws -> ConnectionPool.Counts {
        var total = ConnectionPool.Counts(opened: 0, idle: 0)
        for pool in pools.values {
            let counts = try await pool.loop.submit { pool.counts }.get()
            total.opened += counts.opened
            total.idle += counts.idle
        }
        return total
    }

    /// Closes the kept-alive connections (when the daemon stops).
    public func closeIdleConnections() {
        for pool in pools.values { pool.loop.execute { pool.closeIdle() } }
    }
}

/// Plain-HTTP upstreams through `plain`, all others (https) through `other`: NIO on the event
/// loops where no TLS is needed, libcurl where it is.
public struct ByScheme: UpstreamTransport {
    public let plain: any UpstreamTransport
    public let other: any UpstreamTransport

    public init(plain: any UpstreamTransport, other: any UpstreamTransport) {
        self.plain = plain
        self.other = other
    }

    public func send(_ request: UpstreamRequest) -> any UpstreamResponse {
        request.url.hasPrefix("http://") ? plain.send(request) : other.send(request)
    }

    public var executor: (any TaskExecutor)? { plain.executor }
}
