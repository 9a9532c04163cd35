import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardCore

/// One event loop's upstream connections: idle kept-alive ones per upstream (`host:port`),
/// and new ones made when none is idle. Touched only on its loop.
final class ConnectionPool: @unchecked Sendable {
    // @unchecked: confined to `loop`.
    let loop: any EventLoop
    private var idle: [String: [(UpstreamConnection, any Channel)]] = [:]
    /// Idle connections kept per upstream; more are closed when their answer ends.
    static let maxIdlePerUpstream = 64

    /// Connections opened since start (for tests and figures).
    private(set) var opened = 0

    init(loop: any EventLoop) { self.loop = loop }

    /// Connections opened so far and idle now.
    struct Counts: Hashable, Sendable {
        var opened: Int
        var idle: Int
    }

    var counts: Counts { Counts(opened: opened, idle: idle.values.reduce(0) { $0 + $1.count }) }

    /// Upstream URLs already split, by their text: the gateway sends to a few configured ones.
    private var urls: [String: UpstreamURL] = [:]
    static let maxCachedURLs = 1024

    /// Starts `request` as a new exchange answered through `response` (a URL that is not plain
    /// HTTP ends it at once).
    func start(_ request: UpstreamRequest, _ response: NIOUpstreamResponse) {
        guard let url = url(request.url) else {
            response.finish(.connect("not a plain-HTTP URL"))
            return
        }
        start(Exchange(request: request, url: url, response: response))
    }

    /// `text` split for a socket, parsed once per distinct URL.
    func url(_ text: String) -> UpstreamURL? {
        if let known = urls[text] { return known }
        guard let url = UpstreamURL(text) else { return nil }
        if urls.count >= Self.maxCachedURLs { urls.removeAll(keepingCapacity: true) }
        urls[text] = url
        return url
    }

    /// Sends `exchange` on an idle connection to its upstream, or on a new one.
    func start(_ exchange: Exchange) {
        guard !exchange.response.isCanceled else {
            exchange.finish(.canceled)
            return
        }
        exchange.response.attach(exchange)
        exchange.armTimers()
        while let (connection, channel) = idle[exchange.url.authority]?.popLast() {
            if channel.isActive {
                connection.begin(exchange, reused: true)
                return
            }
        }
        connect(exchange)
    }

    /// Opens a new connection for `exchange` within its connect timeout (and what is left of its total).
    func connect(_ exchange: Exchange) {
        guard !exchange.ended else { return }
        opened += 1
        let key = exchange.url.authority
        let seconds = min(exchange.request.connectTimeoutSeconds, exchange.request.totalTimeoutSeconds)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(Exchange.amount(seconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                do {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamConnection(pool: self, key: key))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let connected: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: exchange.url.host, port: exchange.url.port) {
            connected = bootstrap.connect(to: address)
        } else {
            connected = bootstrap.connect(host: exchange.url.host, port: exchange.url.port)
        }
        connected.whenComplete { [self] result in
            switch result {
            case .success(let channel):
                guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self) else {
                    channel.close(promise: nil)
                    exchange.finish(.connect("the connection could not be set up"))
                    return
                }
                if exchange.ended {
                    park(connection, channel: channel)  // timed out or canceled meanwhile: a fresh connection is kept
                } else {
                    connection.begin(exchange, reused: false)
                }
            case .failure(let error):
                if case ChannelError.connectTimeout = error {
                    exchange.finish(.timeout)
                } else {
                    exchange.finish(.connect("could not connect to \(key)"))
                }
            }
        }
    }

    /// Keeps an idle connection for the next request to its upstream (or closes it when enough are kept).
    func park(_ connection: UpstreamConnection, channel: any Channel) {
        var kept = idle[connection.key, default: []]
        guard kept.count < Self.maxIdlePerUpstream else {
            channel.close(promise: nil)
            return
        }
        kept.append((connection, channel))
        idle[connection.key] = kept
    }

    /// Drops a connection that closed from the idle list.
    func forget(_ connection: UpstreamConnection) {
        idle[connection.key]?.removeAll { $0.0 === connection }
    }

    /// Closes every idle connection (the daemon stops).
    func closeIdle() {
        for (_, kept) in idle { for (_, channel) in kept { channel.close(promise: nil) } }
        idle = [:]
    }
}
