import Foundation
import Logging
import ServiceLifecycle
import SwitchyardConfig
import SwitchyardCore
import SwitchyardFleet
import SwitchyardProbe
import SwitchyardServer
import SwitchyardStore
import SwitchyardSystemd
import SwitchyardUpstream
import UnixSignals

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
    /// Sharing evidence with the group's other hosts (`fleet:`); nil without it.
    public let fleet: FleetService?
    let reloader: ConfigReloader

    /// Reloads the configuration as SIGHUP does; `caller` goes into the events log.
    public func reload(caller: String) async -> ReloadOutcome { await reloader.reload(caller: caller) }

    /// Runs until a shutdown signal or `serviceGroup.triggerGracefulShutdown()`.
    public func run() async throws { try await serviceGroup.run() }
}

/// Assembles every service in dependency order — store, health, probing, servers —
/// so that shutdown stops the servers first and closes the store last.
public func buildServiceGroup(config: Configuration, options: DaemonOptions = DaemonOptions()) throws -> Daemon {
    let logger = options.logger
    let clock = options.clock
    let paths = DaemonPaths.resolve(config: config, stateDirOverride: options.stateDirOverride, environment: options.environment)
    // Fails before anything is created when a key cannot be resolved; resolved again below with the discovered targets.
    _ = try ProbeTargets.resolve(config, environment: options.environment)
    let adminToken = AdminToken(try AccessTokens.admin(config, environment: options.environment))
    let clientTokens = ClientTokens(try AccessTokens.clients(config, environment: options.environment))
    try paths.createStateDirectory()
    let notifier = SystemdNotifier()
    let (store, recovery) = try StorageWiring.open(path: paths.databasePath, busyTimeoutSeconds: config.storage.busyTimeoutSeconds,
                                                   notifier: notifier, now: clock.now(), logger: logger)

    let readiness = Readiness()
    let catalogs = DiscoveryWiring.lastGoodCatalogs(config, store: store, logger: logger)
    // Not ready until each discovering provider has a catalog, or its first read finished (well or not).
    readiness.update { $0.discoveryPending = Set(config.discoveringProviders.map(\.name.rawValue).filter { catalogs[ProviderID($0)] == nil }) }
    // The running targets: the file's and those the last good catalogs add.
    let effective = config.withDiscovered(catalogs)
    let probeTargets = try ProbeTargets.resolve(effective, environment: options.environment)
    let healthBook = HealthBook(descriptors: effective.targetDescriptors, healthPolicy: effective.routing.health,
                                scoring: effective.routing.scoring, now: clock.now())
    try StorageWiring.warmStart(healthBook, from: store, readiness: readiness, now: clock.now(), logger: logger)
    let budgeted = effective.budgetedProviders
    let metrics = SwitchyardMetrics(targets: effective.metricsTargets, budgetProviders: budgeted, version: SwitchyardVersion.current,
                                    configLoadedAt: clock.now())
    let writer = StorageWiring.writer(store: store, config: effective, readiness: readiness, clock: clock, logger: logger)
    let fleetParts = FleetWiring(config: effective)
    let pipeline = ObservationPipeline(healthBook: healthBook, sinks: [writer, metrics] + (fleetParts.map { [$0.outbox] } ?? []), logger: logger)
    let fleet = fleetParts?.service(config: effective, pipeline: pipeline, healthBook: healthBook, readiness: readiness, clock: clock,
                                    environment: options.environment, logger: logger)
    if let recovery { StorageWiring.announce(recovery, readiness: readiness, pipeline: pipeline, now: clock.now()) }
    let engine = CurlEngine()
    let spentToday = StorageWiring.probeSpend(providers: budgeted, members: effective.budgetMembers(of:), from: store, now: clock.now(), logger: logger)
    let duty = FleetWiring.probeDuty(config: effective, pipeline: pipeline, readiness: readiness, clock: clock,
                                     environment: options.environment, logger: logger)
    let scheduler = ProbeScheduler(targets: probeTargets, startSpreadSeconds: options.probeStartSpreadSeconds, spentToday: spentToday, dependencies: .init(
        transport: engine, wallClock: clock, clock: engine.clock, deliver: pipeline.deliver,
        nextProbeAt: { target, now, interval in healthBook.nextProbe(of: target, after: now, interval: interval) },
        onFirstRound: {
            readiness.update { $0.firstProbeRoundDone = true }
            logger.info("first probe round finished", metadata: ["targets": "\(probeTargets.count)"])
        },
        executor: engine, wedgeAfter: options.wedgeSchedulerAfter, logger: logger, duty: duty
    ))
    // Weak: the scheduler delivers into the pipeline, so a strong capture here would be a cycle.
    pipeline.probeRequests.connect { [weak scheduler] target in scheduler?.probeNow(target) }
    var metricsSources = MetricsSources.daemon(writer: writer, healthBook: healthBook, clock: clock)
    if let fleet { metricsSources.fleet = { [weak fleet] in fleet?.status() } }
    metrics.read(from: metricsSources)

    let gatewayDirectory = GatewayDirectory(GatewayWiring.configuration(effective, targets: probeTargets))
    let discoveryWake = DiscoveryWake()
    let reloader = ConfigReloader(current: config, catalogs: catalogs, load: options.reloadConfiguration, parts: .init(
        healthBook: healthBook, scheduler: scheduler, metrics: metrics, readiness: readiness, adminToken: adminToken, gateway: gatewayDirectory, clientTokens: clientTokens,
        pipeline: pipeline, notifier: notifier, discoveryWake: discoveryWake, clock: clock, environment: options.environment, logger: logger
    ))
    let drains = FleetWiring.drains(config: effective, healthBook: healthBook, pipeline: pipeline, clock: clock,
                                    environment: options.environment, logger: logger)
    var admin = AdminHooks(
        reload: { caller in await reloader.reload(caller: caller) },
        record: { transitions in pipeline.record(transitions) },
        recordEvent: { event in pipeline.record(event) }
    )
    if let drains { admin.fleetDrain = { provider, draining, caller in try await drains.record(provider, draining: draining, caller: caller) } }
    var dependencies = APIDependencies(healthBook: healthBook, readiness: readiness, metrics: metrics, clock: clock,
                                       deliver: pipeline.deliver, history: store, stored: { await writer.waitUntilStored() },
                                       budgets: { await scheduler.budgetStatus() }, admin: admin)
    dependencies.limits = effective.listen.limits
    dependencies.adminToken = adminToken
    // Plain-HTTP upstreams on the listeners' event loops, TLS ones through libcurl.
    let upstream = NIOUpstream()
    let gateway = GatewayDependencies(transport: ByScheme(plain: upstream, other: engine), directory: gatewayDirectory, metrics: metrics)
    StorageWiring.restoreClientSpend(gateway.limiter, from: store, now: clock.now(), logger: logger)
    dependencies.gateway = gateway
    dependencies.clientTokens = clientTokens
    if let fleet { dependencies.fleet = { fleet.status() } }
    let servers: [any Service]
    do {
        servers = try ListenerWiring(config: effective, options: options).services(
            dependencies: dependencies, events: options.listenerEvents, targetCount: probeTargets.count, notifier: notifier, logger: logger)
    } catch {
        engine.shutdown()  // settles anything already posted to it
        throw StartupError(description: "\(error)")
    }
    readiness.update { $0.configLoaded = true }

    let lifecycle = SystemdLifecycle(notifier: notifier, healthBook: healthBook, readiness: readiness, writer: writer)
    let watchdog = WatchdogService(notifier: notifier, ledger: scheduler.ledger, writer: writer, logger: logger)
    let reloadOnHangup: [any Service] = options.reloadOnHangup ? [ReloadSignalService(reloader: reloader)] : []
    DiscoveryWiring.announceRestored(catalogs, config: effective, metrics: metrics)
    let discovery = DiscoveryService(parts: .init(
        reloader: reloader, fetcher: CatalogFetcher(transport: engine), store: store, metrics: metrics, readiness: readiness,
        pipeline: pipeline, clock: options.discoveryClock, wallClock: clock, wake: discoveryWake,
        resolveKey: { [environment = options.environment] in try SecretResolver(environment: environment).resolve($0) }, logger: logger
    ))
    let listeners: [any Service] = servers.map { PreferringExecutor(service: $0, executor: upstream.executor ?? engine) }
    let services: [any Service] = [writer, EngineLifetime(engine: engine, upstream: upstream), scheduler] + listeners + reloadOnHangup + [discovery, watchdog, lifecycle] + (fleet.map { [$0] } ?? [])
        + (drains.map { [$0] } ?? []) + (duty.map { [$0] } ?? [])
    let group = ServiceGroup(configuration: .init(
        services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
        gracefulShutdownSignals: options.shutdownSignals,
        logger: logger
    ))
    return Daemon(serviceGroup: group, healthBook: healthBook, readiness: readiness, store: store, writer: writer, metrics: metrics, paths: paths,
                  scheduler: scheduler, fleet: fleet, reloader: reloader)
}
