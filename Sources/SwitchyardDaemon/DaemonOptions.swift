import Foundation
import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardServer
import SwitchyardSystemd
import UnixSignals

/// What the listeners report as they bind (`DaemonOptions.listenerEvents`), named here so a
/// caller of the daemon (the demo waits for the TCP listener) needs only `SwitchyardDaemon`.
public typealias ListenerEvents = APIServer.Events

/// What the wiring needs besides the configuration. Tests pass their own clock,
/// environment and listener callbacks.
public struct DaemonOptions: Sendable {
    public var stateDirOverride: String?
    public var environment: [String: String]
    public var clock: any WallClock
    public var listenerEvents: APIServer.Events
    /// Signals that start a graceful shutdown; empty in tests.
    public var shutdownSignals: [UnixSignal]
    public var logger: Logger
    /// Fault injection for the watchdog test: the probe scheduler wedges this long after start.
    public var wedgeSchedulerAfter: Duration?
    /// Re-reads the configuration for a reload (SIGHUP, `POST /v1/admin/reload`), the same way
    /// start-up read it; nil refuses reloads (the demo's configuration is built in).
    public var reloadConfiguration: (@Sendable () throws -> Configuration)?
    /// Whether SIGHUP reloads; tests send their reloads through the API instead.
    public var reloadOnHangup: Bool
    /// The first probe round is spread over this many seconds (at most each target's interval),
    /// so a large fleet does not probe everything at once; tests that need readiness at once set 0.
    public var probeStartSpreadSeconds: Double = 10
    /// Paces catalog refreshes (`discover.refresh`); tests pass a manual clock.
    public var discoveryClock: any Clock<Duration> = ContinuousClock()
    /// Listening sockets from systemd socket activation (`switchyard serve` takes them from `LISTEN_FDS`).
    public var inheritedListeners = APIServer.Inherited()

    public init(stateDirOverride: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                clock: any WallClock = SystemWallClock(), listenerEvents: APIServer.Events = .init(),
                shutdownSignals: [UnixSignal] = [.sigterm, .sigint], logger: Logger = Logger(label: "switchyard"),
                reloadConfiguration: (@Sendable () throws -> Configuration)? = nil, reloadOnHangup: Bool = true) {
        self.reloadConfiguration = reloadConfiguration
        self.reloadOnHangup = reloadOnHangup
        self.stateDirOverride = stateDirOverride
        self.environment = environment
        self.clock = clock
        self.listenerEvents = listenerEvents
        self.shutdownSignals = shutdownSignals
        self.logger = logger
    }
}

extension DaemonOptions {
    /// Takes the listening sockets systemd passed (`LISTEN_FDS`, from `switchyard.socket`), if any:
    /// they replace binding the configured addresses. Descriptors of another kind are closed.
    public mutating func adoptSocketActivation() {
        let activated = InheritedListeners.take()
        for unusable in activated.unusable {
            logger.warning("socket activation passed \(unusable.name), which is neither a listening TCP nor a Unix stream socket; closing it")
            close(unusable.fd)
        }
        inheritedListeners = APIServer.Inherited(tcp: activated.tcp, unix: activated.unix)
    }
}
