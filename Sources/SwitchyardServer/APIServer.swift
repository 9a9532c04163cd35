import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SwitchyardConfig

/// Builds the HTTP listeners: one Hummingbird application per address (TCP, Unix
/// socket), all sharing one responder, so every route answers the same on each.
public enum APIServer {
    /// Callbacks that tell the wiring when each listener accepts connections.
    public struct Events: Sendable {
        public var tcpBound: @Sendable (Int) async -> Void
        public var unixBound: @Sendable (String) async -> Void

        public init(tcpBound: @escaping @Sendable (Int) async -> Void = { _ in }, unixBound: @escaping @Sendable (String) async -> Void = { _ in }) {
            self.tcpBound = tcpBound
            self.unixBound = unixBound
        }
    }

    /// Listening sockets handed over by systemd socket activation; each replaces binding the
    /// configured address of its kind.
    public struct Inherited: Sendable {
        public var tcp: Int32?
        public var unix: Int32?

        public init(tcp: Int32? = nil, unix: Int32? = nil) {
            self.tcp = tcp
            self.unix = unix
        }
    }

    /// One service per listener. The limits come from `dependencies.limits`; each listener has
    /// its own connection cap, so a full TCP listener leaves the Unix socket (admin) usable.
    public static func services(tcp: HostPort?, unixPath: String?, unixGroup: String? = nil, inherited: Inherited = Inherited(),
                                dependencies: APIDependencies,
                                events: Events, logger: Logger) throws -> [any Service] {
        let responder = APIRoutes.router(dependencies).buildResponder()
        let limits = dependencies.limits
        let metrics = dependencies.metrics
        // Each listener counts its own peers; Unix socket peers have no address and are not capped.
        func peerCap() -> PeerConnectionCap {
            PeerConnectionCap(limit: limits.maxConnectionsPerPeer) { metrics.connectionRefusedForPeer() }
        }
        // The gateway's JSON routes are answered off the pipeline, by the same code the router runs.
        let gateway = GatewayResponder(respond: { endpoint, request, context in await APIRoutes.gatewayAnswer(endpoint, request, context, dependencies) },
                                       maxBodyBytes: limits.maxBodyBytes,
                                       executor: dependencies.gateway?.transport.executor)
        let continuePolicy = APIRoutes.continuePolicy(dependencies)
        func inheritedListener(_ fd: Int32, onRunning: @escaping @Sendable (any Channel) async -> Void) -> any Service {
            InheritedSocketServer(descriptor: fd, responder: responder, limits: limits, peers: peerCap(), continuePolicy: continuePolicy, gateway: gateway,
                                  onRunning: onRunning, logger: logger)
        }
        func boundListener(_ address: BindAddress, onRunning: @escaping @Sendable (any Channel) async -> Void) -> any Service {
            Application(
                responder: responder,
                server: limits.serverBuilder(peers: peerCap(), continuePolicy: continuePolicy, gateway: gateway),
                configuration: ApplicationConfiguration(address: address, serverName: "switchyard",
                                                        availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)),
                onServerRunning: onRunning,
                logger: logger
            )
        }
        var services: [any Service] = []
        if let fd = inherited.tcp {
            services.append(inheritedListener(fd) { channel in await events.tcpBound(channel.localAddress?.port ?? 0) })
        } else if let tcp {
            services.append(boundListener(.hostname(tcp.host, port: tcp.port)) { channel in
                await events.tcpBound(channel.localAddress?.port ?? tcp.port)
            })
        }
        if let fd = inherited.unix {
            // systemd made the socket file (SocketMode=, SocketGroup= in switchyard.socket).
            services.append(inheritedListener(fd) { channel in
                await events.unixBound(channel.localAddress?.pathname ?? "inherited socket \(fd)")
            })
        } else if let path = unixPath {
            try UnixSocketPath.prepare(path)
            let groupID = try unixGroup.map(UnixSocketPath.groupID)
            services.append(boundListener(.unixDomainSocket(path: path)) { _ in
                if let groupID, chown(path, uid_t.max, groupID) != 0 {
                    logger.error("cannot give the socket to group \(unixGroup ?? ""): \(String(cString: strerror(errno)))", metadata: ["path": "\(path)"])
                }
                chmod(path, 0o660)
                await events.unixBound(path)
            })
        }
        return services
    }
}

/// Makes a Unix socket path ready to bind: creates its directory, removes a stale
/// socket file, and refuses when a live daemon already answers on it.
public enum UnixSocketPath {
    struct NotASocket: Error, CustomStringConvertible {
        var path: String
        var description: String { "listen.unix: \(path) exists and is not a socket; choose another path (it was not touched)" }
    }

    struct InUse: Error, CustomStringConvertible {
        var path: String
        var description: String { "another process is serving on \(path); stop it or choose another listen.unix path" }
    }

    struct UnknownGroup: Error, CustomStringConvertible {
        var name: String
        var description: String { "listen.unix_group: no group named '\(name)' on this host" }
    }

    /// The id of a group given by name (or as a number).
    public static func groupID(_ name: String) throws -> gid_t {
        if let group = getgrnam(name) { return group.pointee.gr_gid }
        if let number = gid_t(name) { return number }
        throw UnknownGroup(name: name)
    }

    static func prepare(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // nothing there
        // Only ever remove a stale socket: a file or directory at that path is a mistake in the config.
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw NotASocket(path: path) }
        if isLive(path) { throw InUse(path: path) }
        try FileManager.default.removeItem(atPath: path)
    }

    /// Whether something accepts connections on the socket file.
    static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }
}
