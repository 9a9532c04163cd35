import Foundation
import Logging
import ServiceLifecycle
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardServer
import SwitchyardStore
import SwitchyardSystemd
import UnixSignals

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

/// A wired daemon: the service group to run and the parts tests and the CLI look at.
public struct Daemon: Sendable {
    public let serviceGroup: ServiceGroup
    public let healthBook: HealthBook
    public let readiness: Readiness
    public let store: SQLiteStore
    public let writer: StoreWriter
    public let metrics: SwitchyardMetrics
    public let paths: DaemonPaths
    /// The probe scheduler; `scheduler.budgetStatus()` tells what probes spent today.
    public let scheduler: ProbeScheduler
    let reloader: ConfigReloader

    /// Reloads the configuration as SIGHUP does; `caller` goes into the events log.
    public func reload(caller: String) async -> ReloadOutcome { await reloader.reload(caller: caller) }

    /// Runs until a shutdown signal or `serviceGroup.triggerGracefulShutdown()`.
    public func run() async throws { try await serviceGroup.run() }
}

/// The addresses the listeners bind, after defaults.
private struct ResolvedListen {
    var tcp: HostPort?
    var unix: String?
}

/// Why the daemon cannot start; printed as is.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
}

/// Assembles every service in dependency order — store, health, probing, servers —
/// so that shutdown stops the servers first and closes the store last.
public func buildServiceGroup(config: Configuration, options: DaemonOptions = DaemonOptions()) throws -> Daemon {
    let logger = options.logger
    let clock = options.clock
    let paths = DaemonPaths.resolve(config: config, stateDirOverride: options.stateDirOverride, environment: options.environment)
    let listen = ResolvedListen(tcp: config.listen.tcp, unix: config.listen.unix.resolve(environment: options.environment))

    let probeTargets = try ProbeTargets.resolve(config, environment: options.environment)
    let adminToken = AdminToken(try ProbeTargets.adminToken(config, environment: options.environment))
    let clientTokens = ClientTokens(try ProbeTargets.clientTokens(config, environment: options.environment))
    do {
        try FileManager.default.createDirectory(atPath: paths.stateDirectory, withIntermediateDirectories: true)
    } catch {
        throw StartupError(description: "cannot create the state directory \(paths.stateDirectory): \(error.localizedDescription)")
    }
    let notifier = SystemdNotifier()
    let (store, recovery) = try StorageWiring.open(path: paths.databasePath, busyTimeoutSeconds: config.storage.busyTimeoutSeconds,
                                                   notifier: notifier, now: clock.now(), logger: logger)

    let readiness = Readiness()
    let healthBook = HealthBook(descriptors: config.targetDescriptors, healthPolicy: config.routing.health,
                                scoring: config.routing.scoring, now: clock.now())
    try StorageWiring.warmStart(healthBook, from: store, readiness: readiness, now: clock.now(), logger: logger)
    let budgeted = config.budgetedProviders
    let metrics = SwitchyardMetrics(targets: config.metricsTargets, budgetProviders: budgeted, version: SwitchyardVersion.current,
                                    configLoadedAt: clock.now())
    let writer = StorageWiring.writer(store: store, config: config, readiness: readiness, clock: clock, logger: logger)
    let pipeline = ObservationPipeline(healthBook: healthBook, sinks: [writer, metrics], logger: logger)
    if let recovery { StorageWiring.announce(recovery, readiness: readiness, pipeline: pipeline, now: clock.now()) }
    let engine = CurlEngine()
    let scheduler = ProbeScheduler(targets: probeTargets, dependencies: .init(
        transport: engine, wallClock: clock, clock: engine.clock, deliver: pipeline.deliver,
        nextProbeAt: { target, now, interval in healthBook.nextProbe(of: target, after: now, interval: interval) },
        onFirstRound: {
            readiness.update { $0.firstProbeRoundDone = true }
            logger.info("first probe round finished", metadata: ["targets": "\(probeTargets.count)"])
        },
        executor: engine, wedgeAfter: options.wedgeSchedulerAfter, logger: logger
    ))
    // Weak: the scheduler delivers into the pipeline, so a strong capture here would be a cycle.
    pipeline.probeRequests.connect { [weak scheduler] target in scheduler?.probeNow(target) }
    StorageWiring.restoreProbeSpend(scheduler, providers: budgeted, from: store, now: clock.now(), logger: logger)
    // The sources hold the scheduler and the writer weakly: the scheduler holds the metrics (the
    // pipeline's sinks), so strong captures here made a cycle that kept every
    // daemon's object graph (SQLite connection included) alive after the daemon was dropped.
    // The service group and `Daemon` own them; a scrape after they are gone reads nothing.
    metrics.read(from: MetricsSources(
        budgets: { [weak scheduler] in scheduler?.budgetStatus() ?? [] },
        store: { [weak writer] in
            writer.map {
                StoreHealth(queueDepth: $0.queueDepth, droppedRecords: $0.droppedRecords, writeErrors: $0.writeErrors,
                            databaseBytes: $0.databaseBytes, writing: $0.currentProblem == nil)
            }
        },
        scores: { [weak healthBook] in healthBook?.scores(now: clock.now()) ?? [] }
    ))

    let gatewayDirectory = GatewayDirectory(GatewayWiring.configuration(config, targets: probeTargets))
    let reloader = ConfigReloader(current: config, load: options.reloadConfiguration, parts: .init(
        healthBook: healthBook, scheduler: scheduler, metrics: metrics, readiness: readiness, adminToken: adminToken, gateway: gatewayDirectory, clientTokens: clientTokens,
        pipeline: pipeline, notifier: notifier, clock: clock, environment: options.environment, logger: logger
    ))
    let admin = AdminHooks(
        reload: { caller in await reloader.reload(caller: caller) },
        record: { transitions in pipeline.record(transitions) }
    )
    let inherited = options.inheritedListeners
    let listenerCount = (listen.tcp == nil && inherited.tcp == nil ? 0 : 1) + (listen.unix == nil && inherited.unix == nil ? 0 : 1)
    let bound = ListenerTally(expected: listenerCount) {
        notifier.ready(status: "listening; \(probeTargets.count) targets, first probe round running")
        logger.info("ready", metadata: [
            "tcp": "\(inherited.tcp.map { "socket activation (fd \($0))" } ?? listen.tcp?.description ?? "off")",
            "unix": "\(inherited.unix.map { "socket activation (fd \($0))" } ?? listen.unix ?? "off")",
        ])
    }
    let events = APIServer.Events(
        tcpBound: { port in
            await options.listenerEvents.tcpBound(port)
            bound.arrived()
        },
        unixBound: { path in
            await options.listenerEvents.unixBound(path)
            bound.arrived()
        }
    )
    var dependencies = APIDependencies(healthBook: healthBook, readiness: readiness, metrics: metrics, clock: clock,
                                       deliver: pipeline.deliver, history: store, stored: { await writer.waitUntilStored() },
                                       budgets: { scheduler.budgetStatus() }, admin: admin)
    dependencies.limits = config.listen.limits
    dependencies.adminToken = adminToken
    dependencies.gateway = GatewayDependencies(transport: engine, directory: gatewayDirectory, metrics: metrics)
    dependencies.clientTokens = clientTokens
    let servers: [any Service]
    do {
        servers = try APIServer.services(tcp: listen.tcp, unixPath: listen.unix, unixGroup: config.listen.unixGroup, inherited: inherited,
                                         dependencies: dependencies, events: events, logger: logger)
    } catch {
        engine.shutdown()  // its thread holds it; nothing else would stop it
        throw StartupError(description: "\(error)")
    }
    readiness.update { $0.configLoaded = true }

    let lifecycle = SystemdLifecycle(notifier: notifier, healthBook: healthBook, readiness: readiness, writer: writer)
    let watchdog = WatchdogService(notifier: notifier, ledger: scheduler.ledger, writer: writer, logger: logger)
    let reloadOnHangup: [any Service] = options.reloadOnHangup ? [ReloadSignalService(reloader: reloader)] : []
    let services: [any Service] = [writer, EngineLifetime(engine: engine), scheduler] + servers + reloadOnHangup + [watchdog, lifecycle]
    let group = ServiceGroup(configuration: .init(
        services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
        gracefulShutdownSignals: options.shutdownSignals,
        logger: logger
    ))
    return Daemon(serviceGroup: group, healthBook: healthBook, readiness: readiness, store: store, writer: writer, metrics: metrics, paths: paths,
                  scheduler: scheduler, reloader: reloader)
}
