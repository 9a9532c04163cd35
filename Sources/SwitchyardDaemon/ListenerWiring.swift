import Logging
import ServiceLifecycle
import SwitchyardConfig
import SwitchyardServer
import SwitchyardSystemd

/// The API listeners: the addresses they bind (after defaults, or the sockets systemd passed),
/// and the readiness notice once every one of them accepts connections.
struct ListenerWiring {
    /// The TCP address to bind (`listen.tcp`), nil for none.
    var tcp: HostPort?
    /// The Unix socket path to bind, after defaults; nil for none.
    var unix: String?
    /// Sockets systemd passed (socket activation); they replace binding the addresses above.
    var inherited: APIServer.Inherited
    /// The group that may use the Unix socket (`listen.unix_group`).
    var unixGroup: String?

    /// The addresses of `config`, or the sockets `options` inherited.

    init(config: Configuration, options: DaemonOptions) {
        tcp = config.listen.tcp
        unix = config.listen.unix.resolve(environment: options.environment)
        inherited = options.inheritedListeners
        unixGroup = config.listen.unixGroup
    }

    /// The listener services over `dependencies`. When all listen, systemd hears READY=1 and the
    /// journal "ready"; `events` (the tests' callbacks) hear each bound address first.
    func services(dependencies: APIDependencies, events: APIServer.Events, targetCount: Int, notifier: SystemdNotifier,
                  logger: Logger) throws -> [any Service] {
        let listenerCount = (tcp == nil && inherited.tcp == nil ? 0 : 1) + (unix == nil && inherited.unix == nil ? 0 : 1)
        let bound = ListenerTally(expected: listenerCount) { [tcp, unix, inherited] in
            notifier.ready(status: "listening; \(targetCount) targets, first probe round running")
            logger.info("ready", metadata: [
                "tcp": "\(inherited.tcp.map { "socket activation (fd \($0))" } ?? tcp?.description ?? "off")",
                "unix": "\(inherited.unix.map { "socket activation (fd \($0))" } ?? unix ?? "off")",
            ])
        }
        let tallied = APIServer.Events(
            tcpBound: { port in
                await events.tcpBound(port)
                bound.arrived()
            },
            unixBound: { path in
                await events.unixBound(path)
                bound.arrived()
            }
        )
        return try APIServer.services(tcp: tcp, unixPath: unix, unixGroup: unixGroup, inherited: inherited,
                                      dependencies: dependencies, events: tallied, logger: logger)
    }
}
