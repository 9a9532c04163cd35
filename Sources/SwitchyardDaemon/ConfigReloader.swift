import Logging
import SwitchyardConfig
import SwitchyardCore
import SwitchyardProbe
import SwitchyardServer
import SwitchyardSystemd

/// Re-reads the configuration and applies it to the running daemon, for SIGHUP and
/// `POST /v1/admin/reload`. The new file is parsed, validated and its secrets resolved
/// before anything changes; when any of that fails the old configuration keeps running
/// and the failure shows in `/readyz`, the events log, the metrics and the journal.
/// Targets that stay keep their state and statistics; removed ones stop; added ones start.
actor ConfigReloader {
    struct Parts: Sendable {
        var healthBook: HealthBook
        var scheduler: ProbeScheduler
        var metrics: SwitchyardMetrics
        var readiness: Readiness
        /// The admin token the API checks; replaced by a good reload.
        var adminToken: AdminToken
        /// The gateway's targets, keys and settings; replaced by a good reload.
        var gateway: GatewayDirectory?
        /// The client tokens and `listen.tcp_without_token` the API checks; replaced by a good reload.
        var clientTokens: ClientTokens
        /// Where reload events go: the same sinks as observations (store writer, metrics).
        var pipeline: ObservationPipeline
        var notifier: SystemdNotifier
        /// Told when a reload changed the discovering providers, so discovery need not wait for its timer.
        var discoveryWake: DiscoveryWake
        var clock: any WallClock
        var environment: [String: String]
        var logger: Logger
    }

    private let parts: Parts
    /// Reads the configuration the same way start-up did; nil when there is no file to re-read (the demo).
    private let load: (@Sendable () throws -> Configuration)?
    /// The configuration as the file says it, without discovered targets.
    private var current: Configuration
    /// Each discovering provider's last good catalog, read where it points now; the running targets are `current.withDiscovered(catalogs)`.
    private var catalogs: [ProviderID: DiscoveredCatalog]
    /// A reload or a catalog is being applied (it waits for the scheduler); later callers wait their turn here, in order.
    private var turns = TurnLine()

    init(current: Configuration, catalogs: [ProviderID: DiscoveredCatalog] = [:], load: (@Sendable () throws -> Configuration)?, parts: Parts) {
        self.current = current
        self.catalogs = catalogs
        self.load = load
        self.parts = parts
    }

    /// Whether `provider` has a last good catalog (read since start, or kept in the state database).
    func hasCatalog(_ provider: ProviderID) -> Bool { catalogs[provider] != nil }

    /// The providers that discover, as the running configuration says them.
    func discoveringProviders() -> [ProviderSettings] { current.discoveringProviders }

    /// Reloads once; concurrent callers are served one after the other.
    func reload(caller: String) async -> ReloadOutcome {
        await takeTurn()
        defer { endTurn() }
        parts.notifier.reloading()
        let outcome = await apply()
        let event = DaemonEvent(at: parts.clock.now(), kind: outcome.succeeded ? .reload : .reloadFailed, caller: caller, message: outcome.message)
        parts.pipeline.record(event)
        parts.readiness.update { $0.reloadProblem = outcome.succeeded ? nil : outcome.message }
        let metadata: Logger.Metadata = ["event": "\(event.kind.rawValue)", "caller": "\(caller)"]
        if outcome.succeeded {
            parts.logger.notice("configuration reloaded: \(outcome.message)", metadata: metadata)
            parts.notifier.ready(status: "configuration reloaded: \(outcome.message)")
        } else {
            parts.logger.error("configuration reload refused, the previous configuration keeps running: \(outcome.message)", metadata: metadata)
            parts.notifier.ready(status: "reload refused (previous configuration running): \(outcome.message)")
        }
        return outcome
    }

    private func apply() async -> ReloadOutcome {
        guard let load else {
            return ReloadOutcome(succeeded: false, message: "this daemon runs a built-in configuration (demo); there is no file to reload")
        }
        let next: Configuration
        let kept: [ProviderID: DiscoveredCatalog]
        let effective: Configuration
        let targets: [ProbeTarget]
        let token: Secret?
        let clients: ClientTokens.Table
        do {
            next = try load()
            // A provider whose base_url or kind changed has another endpoint's catalog: not used.
            kept = next.matchingCatalogs(catalogs)
            effective = next.withDiscovered(kept)
            targets = try ProbeTargets.resolve(effective, environment: parts.environment)
            token = try AccessTokens.admin(next, environment: parts.environment)
            clients = try AccessTokens.clients(next, environment: parts.environment)
            // A group that does not exist would only be found at the next restart, which would then fail.
            _ = try next.listen.unixGroup.map(UnixSocketPath.groupID)
        } catch {
            // Reaches /readyz, the events log, the journal and STATUS=: never a pasted key.
            return ReloadOutcome(succeeded: false, message: SecretShape.redact("\(error)"))
        }
        let change = await install(effective, targets: targets)
        parts.adminToken.replace(with: token)
        parts.clientTokens.replace(with: clients)
        let restartOnly = restartOnlyChanges(from: current, to: next)
        if current.discoveringProviders != next.discoveringProviders { parts.discoveryWake.signal() }
        current = next
        catalogs = kept
        var message = "\(change.added.count) targets added, \(change.removed.count) removed, \(change.changed.count) changed, \(change.unchanged.count) unchanged"
        if !restartOnly.isEmpty { message += "; \(restartOnly.joined(separator: ", ")) changed and take effect at the next restart" }
        return ReloadOutcome(succeeded: true, message: message, added: change.added.count, removed: change.removed.count,
                             kept: change.changed.count + change.unchanged.count)
    }

    /// Puts an effective configuration's targets to work: health book, probe plan, metrics, gateway.
    private func install(_ effective: Configuration, targets: [ProbeTarget]) async -> ProbeTargetChange {
        // A catalog that turned a target's status to `error` degrades it: a transition like any other.
        let transitions = parts.healthBook.reconfigure(descriptors: effective.targetDescriptors, healthPolicy: effective.routing.health,
                                                       scoring: effective.routing.scoring, now: parts.clock.now())
        parts.pipeline.record(transitions)
        let change = await parts.scheduler.reconfigure(targets: targets)
        parts.metrics.reconfigure(targets: effective.metricsTargets, budgetProviders: effective.budgetedProviders)
        parts.gateway?.replace(GatewayWiring.configuration(effective, targets: targets))
        return change
    }

    /// Adopts a newly read catalog of `provider` through the same path as a reload: targets that
    /// stayed keep their state, removed ones stop, added ones start. Records one `discovery` event
    /// per target added, removed or changed, and returns how many targets the catalog now yields.
    func applyCatalog(_ catalog: DiscoveredCatalog, provider: ProviderID) async throws -> Int {
        await takeTurn()
        defer { endTurn() }
        // A catalog read before a reload that removed the provider, or moved it elsewhere, is not applied.
        guard current.discoveringProviders.contains(where: { $0.name == provider && $0.catalogSource == catalog.source }) else { return 0 }
        let before = current.withDiscovered(catalogs)
        var next = catalogs
        next[provider] = catalog
        let effective = current.withDiscovered(next)
        let targets = try ProbeTargets.resolve(effective, environment: parts.environment)
        catalogs = next
        _ = await install(effective, targets: targets)
        let now = parts.clock.now()
        let changes = DiscoveryChanges.between(before, effective, provider: provider)
        for change in changes.messages {
            parts.pipeline.record(DaemonEvent(at: now, kind: .discovery, caller: "discovery", message: change))
        }
        if !changes.messages.isEmpty {
            parts.logger.notice("catalog applied: \(changes.summary)", metadata: ["provider": "\(provider)", "event": "discovery"])
        }
        return changes.targets
    }

    /// Waits until no other reload or catalog is being applied: applying one waits for the
    /// scheduler, and two must not interleave there.
    private func takeTurn() async {
        if turns.arrive() { return }
        await withCheckedContinuation { turns.wait($0) }
    }

    private func endTurn() {
        turns.leave()?.resume()
    }

    /// Settings a running daemon cannot adopt: its sockets and their limits, its database, its log level.
    private func restartOnlyChanges(from old: Configuration, to new: Configuration) -> [String] {
        var names: [String] = []
        // tcp_without_token is swapped with the client tokens; the rest of listen: needs new sockets.
        var oldListen = old.listen
        oldListen.tcpWithoutToken = new.listen.tcpWithoutToken
        if oldListen != new.listen { names.append("listen") }
        if old.stateDir != new.stateDir { names.append("state_dir") }
        if old.storage != new.storage { names.append("storage") }
        if old.logLevel != new.logLevel { names.append("log_level") }
        return names
    }
}
