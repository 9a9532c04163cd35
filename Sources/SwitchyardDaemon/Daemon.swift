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

    public init(stateDirOverride: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                clock: any WallClock = SystemWallClock(), listenerEvents: APIServer.Events = .init(),
                shutdownSignals: [UnixSignal] = [.sigterm, .sigint], logger: Logger = Logger(label: "switchyard")) {
        self.stateDirOverride = stateDirOverride
        self.environment = environment
        self.clock = clock
        self.listenerEvents = listenerEvents
        self.shutdownSignals = shutdownSignals
        self.logger = logger
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

    let probeTargets = try resolveProbeTargets(config, environment: options.environment)
    do {
        try FileManager.default.createDirectory(atPath: paths.stateDirectory, withIntermediateDirectories: true)
    } catch {
        throw StartupError(description: "cannot create the state directory \(paths.stateDirectory): \(error.localizedDescription)")
    }
    let store: SQLiteStore
    do {
        store = try SQLiteStore(path: paths.databasePath, busyTimeoutSeconds: config.storage.busyTimeoutSeconds)
    } catch {
        throw StartupError(description: "\(error)")
    }

    let readiness = Readiness()
    let healthBook = HealthBook(descriptors: config.targetDescriptors, healthPolicy: config.routing.health,
                                scoring: config.routing.scoring, now: clock.now())
    try StorageWiring.warmStart(healthBook, from: store, readiness: readiness, now: clock.now(), logger: logger)
    let budgeted = config.providers.filter { $0.budget?.probeUSDPerDay != nil }.map(\.name)
    let metrics = SwitchyardMetrics(targets: config.targetDescriptors.map(\.target), budgetProviders: budgeted, version: SwitchyardVersion.current)
    let writer = StorageWiring.writer(store: store, config: config, readiness: readiness, clock: clock, logger: logger)
    let pipeline = ObservationPipeline(healthBook: healthBook, sinks: [writer, metrics], logger: logger)
    let engine = CurlEngine()
    let scheduler = ProbeScheduler(targets: probeTargets, dependencies: .init(
        transport: engine, clock: clock, deliver: pipeline.deliver,
        onFirstRound: {
            readiness.update { $0.firstProbeRoundDone = true }
            logger.info("first probe round finished", metadata: ["targets": "\(probeTargets.count)"])
        },
        nextProbeAt: { target, now, interval in healthBook.nextProbe(of: target, after: now, interval: interval) },
        logger: logger,
        wedgeAt: options.wedgeSchedulerAfter.map { ContinuousClock.now + $0 }
    ))
    StorageWiring.restoreProbeSpend(scheduler, providers: budgeted, from: store, now: clock.now(), logger: logger)

    let notifier = SystemdNotifier()
    let listenerCount = (listen.tcp == nil ? 0 : 1) + (listen.unix == nil ? 0 : 1)
    let bound = ListenerTally(expected: listenerCount) {
        notifier.ready(status: "listening; \(probeTargets.count) targets, first probe round running")
        logger.info("ready", metadata: ["tcp": "\(listen.tcp?.description ?? "off")", "unix": "\(listen.unix ?? "off")"])
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
                                       budgets: { scheduler.budgetStatus() },
                                       admin: AdminHooks(record: { transitions in pipeline.record(transitions) }))
    dependencies.limits = config.listen.limits
    do {
        dependencies.adminToken = try config.admin.token.map(SecretResolver(environment: options.environment).resolve)
    } catch {
        engine.shutdown()
        throw StartupError(description: "admin token: \(error)")
    }
    let servers: [any Service]
    do {
        servers = try APIServer.services(tcp: listen.tcp, unixPath: listen.unix, unixGroup: config.listen.unixGroup, dependencies: dependencies, events: events, logger: logger)
    } catch {
        engine.shutdown()  // its thread holds it; nothing else would stop it
        throw StartupError(description: "\(error)")
    }
    readiness.update { $0.configLoaded = true }

    let lifecycle = SystemdLifecycle(notifier: notifier, healthBook: healthBook, readiness: readiness, writer: writer)
    let watchdog = WatchdogService(notifier: notifier, ledger: scheduler.ledger, writer: writer, logger: logger)
    let services: [any Service] = [writer, EngineLifetime(engine: engine), scheduler] + servers + [watchdog, lifecycle]
    let group = ServiceGroup(configuration: .init(
        services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
        gracefulShutdownSignals: options.shutdownSignals,
        logger: logger
    ))
    return Daemon(serviceGroup: group, healthBook: healthBook, readiness: readiness, store: store, writer: writer, metrics: metrics, paths: paths,
                  scheduler: scheduler)
}

private func resolveProbeTargets(_ config: Configuration, environment: [String: String]) throws -> [ProbeTarget] {
    let resolver = SecretResolver(environment: environment)
    return try config.providers.flatMap { provider -> [ProbeTarget] in
        let key: Secret?
        do {
            key = try provider.apiKey.map(resolver.resolve)
        } catch {
            throw StartupError(description: "provider '\(provider.name)': \(error)")
        }
        return provider.models.map { model in
            ProbeTarget(
                target: Target(provider: provider.name, model: model.name), kind: provider.kind, baseURL: provider.baseURL,
                upstreamModel: model.upstream, apiKey: key, settings: model.probe, price: provider.price,
                budgetUSDPerDay: provider.budget?.probeUSDPerDay
            )
        }
    }
}
